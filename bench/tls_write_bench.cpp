// The cost of the TLS uprobes per SSL_write (issue 11's closing note): one
// TLS 1.3 connection over real TCP loopback (so the send tracepoints fire
// inside each call, as in production), N SSL_write calls of a small buffer,
// timed; a thread reads everything on the other end. Run it untraced and
// under `procflow trace` (bench/tls_uprobe_cost.sh) and compare ns per call.
//
// usage: tls_write_bench CERT KEY [CALLS] [BYTES]
// Prints one line: "calls=N bytes=B ns_per_write=X".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tls_write_bench: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::exit(1);
}

// A connected loopback pair: {client, server}.
std::pair<int, int> tcp_pair() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ||
      listen(listener, 1) || getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len))
    die("listen");
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (client < 0 || connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr))
    die("connect");
  int server = accept(listener, nullptr, nullptr);
  if (server < 0) die("accept");
  close(listener);
  const int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {client, server};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tls_write_bench CERT KEY [CALLS] [BYTES]\n");
    return 2;
  }
  const long calls = argc > 3 ? std::atol(argv[3]) : 200000;
  const int bytes = argc > 4 ? std::atoi(argv[4]) : 64;

  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  if (!server_ctx || !client_ctx) die("SSL_CTX_new");
  if (SSL_CTX_use_certificate_file(server_ctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1)
    die("certificate or key");

  auto [cfd, sfd] = tcp_pair();
  SSL* server = SSL_new(server_ctx);
  SSL* client = SSL_new(client_ctx);
  SSL_set_fd(server, sfd);
  SSL_set_fd(client, cfd);

  // The reader: handshake, then drain until the client closes.
  std::thread reader([server] {
    if (SSL_accept(server) != 1) die("SSL_accept");
    std::vector<char> buf(16384);
    while (SSL_read(server, buf.data(), static_cast<int>(buf.size())) > 0) {
    }
  });
  if (SSL_connect(client) != 1) die("SSL_connect");

  std::vector<char> payload(static_cast<size_t>(bytes), 'x');
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; i++)
    if (SSL_write(client, payload.data(), bytes) != bytes) die("SSL_write");
  const auto elapsed = std::chrono::steady_clock::now() - start;

  SSL_shutdown(client);
  shutdown(cfd, SHUT_WR);
  reader.join();
  const double ns =
      std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(calls);
  std::printf("calls=%ld bytes=%d ns_per_write=%.0f\n", calls, bytes, ns);
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
  close(cfd);
  close(sfd);
  return 0;
}
