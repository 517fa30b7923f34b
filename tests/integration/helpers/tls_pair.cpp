// tls_pair: one TLS 1.3 exchange with OpenSSL 3 (libssl.so.3, the library procflow's uprobes
// watch) over a loopback TCP connection inside one process: a client thread sends REQUEST with
// one SSL_write, the server reads it with SSL_read and answers RESPONSE with one SSL_write.
// Both sides then send close_notify and drain the socket before closing, so both flows end with
// a clean close. The server's key and certificate are made here, in memory.
//
// usage: tls_pair
// Prints one JSON line of ground truth:
//   {"pid":N,"client_port":N,"server_port":N,"request":"...","response":"..."}
// where request and response are written as procflow's `content` shows them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr char kRequest[] = "GET /vm-tls HTTP/1.1\r\nHost: vm-tls.test\r\n\r\n";
constexpr char kResponse[] = "HTTP/1.1 204 No Content\r\n\r\n";

[[noreturn]] void die(const char* what) {
  std::printf("{\"error\":\"%s\"}\n", what);
  ERR_print_errors_fp(stderr);
  std::exit(1);
}

// A self-signed P-256 certificate for the server, valid for a day.
void use_new_certificate(SSL_CTX* ctx) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (!key || !cert) die("key");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("vm-tls.test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  if (!X509_sign(cert, key, EVP_sha256())) die("sign");
  if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
    die("certificate");
  X509_free(cert);
  EVP_PKEY_free(key);
}

int port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Reads exactly `want` (what the peer sends in one SSL_write) and dies on anything else.
void read_expected(SSL* ssl, std::string_view want, const char* who) {
  std::string got;
  char buf[512];
  while (got.size() < want.size()) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) die(who);
    got.append(buf, static_cast<size_t>(n));
  }
  if (got != want) die(who);
}

// close_notify sent and the peer's read, then the socket drained to its FIN: no RST.
void close_cleanly(SSL* ssl, int fd) {
  char buf[256];
  while (SSL_read(ssl, buf, sizeof buf) > 0) {
  }
  SSL_shutdown(ssl);
  shutdown(fd, SHUT_WR);
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
  SSL_free(ssl);
  close(fd);
}

}  // namespace

int main() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ||
      listen(listener, 1))
    die("listen");
  const int server_port = port_of(listener);

  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  if (!server_ctx || !client_ctx) die("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(server_ctx, TLS1_3_VERSION);
  use_new_certificate(server_ctx);

  std::thread server([&] {
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) die("accept");
    SSL* ssl = SSL_new(server_ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) die("SSL_accept");
    read_expected(ssl, kRequest, "server: the request");
    if (SSL_write(ssl, kResponse, sizeof kResponse - 1) != sizeof kResponse - 1)
      die("server SSL_write");
    close_cleanly(ssl, fd);
  });

  addr.sin_port = htons(static_cast<uint16_t>(server_port));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr)) die("connect");
  const int client_port = port_of(fd);
  SSL* ssl = SSL_new(client_ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) die("SSL_connect");
  if (SSL_write(ssl, kRequest, sizeof kRequest - 1) != sizeof kRequest - 1) die("client SSL_write");
  read_expected(ssl, kResponse, "client: the response");
  char buf[256];
  SSL_shutdown(ssl);
  shutdown(fd, SHUT_WR);
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
  SSL_free(ssl);
  close(fd);
  server.join();
  close(listener);
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
  // request/response: as procflow's content shows them (CR and LF as the escapes \r and \n).
  std::printf(R"({"pid":%d,"client_port":%d,"server_port":%d,)"
              R"("request":"GET /vm-tls HTTP/1.1\\r\\nHost: vm-tls.test\\r\\n\\r\\n",)"
              R"("response":"HTTP/1.1 204 No Content\\r\\n\\r\\n"})"
              "\n",
              getpid(), client_port, server_port);
  return 0;
}
