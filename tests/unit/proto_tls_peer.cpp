#include "proto_tls_peer.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace procflow::test {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using SslCtx = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using Ssl = std::unique_ptr<SSL, Deleter<SSL_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

std::vector<uint8_t> drain(BIO* bio) {
  std::vector<uint8_t> out;
  uint8_t buffer[4096];
  int n;
  while ((n = BIO_read(bio, buffer, sizeof buffer)) > 0) out.insert(out.end(), buffer, buffer + n);
  return out;
}

// An SSL object over two memory BIOs (read = what the peer sent).
Ssl ssl_over_memory(SSL_CTX* ctx, BIO** to_peer, BIO** from_peer) {
  Ssl ssl(SSL_new(ctx));
  check(ssl != nullptr, "SSL_new");
  *from_peer = BIO_new(BIO_s_mem());
  *to_peer = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), *from_peer, *to_peer);  // ssl owns both now
  return ssl;
}

int select_h2(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
              unsigned int in_length, void*) {
  static const unsigned char h2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, h2, sizeof h2, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

SslCtx server_context() {
  SslCtx ctx(SSL_CTX_new(TLS_server_method()));
  check(ctx != nullptr, "SSL_CTX_new(server)");
  Pkey key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("server.test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");
  check(SSL_CTX_use_certificate(ctx.get(), cert.get()) == 1, "use_certificate");
  check(SSL_CTX_use_PrivateKey(ctx.get(), key.get()) == 1, "use_PrivateKey");
  check(SSL_CTX_set_ciphersuites(ctx.get(), "TLS_AES_128_GCM_SHA256") == 1, "ciphersuites");
  check(SSL_CTX_set_cipher_list(ctx.get(), "ECDHE-ECDSA-AES128-GCM-SHA256") == 1, "cipher_list");
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_h2, nullptr);
  return ctx;
}

}  // namespace

TlsExchange tls_exchange(const TlsClientOptions& options) {
  TlsExchange exchange;
  SslCtx client_ctx(SSL_CTX_new(TLS_client_method()));
  check(client_ctx != nullptr, "SSL_CTX_new(client)");
  if (options.max_tls12) SSL_CTX_set_max_proto_version(client_ctx.get(), TLS1_2_VERSION);
  BIO *client_out = nullptr, *client_in = nullptr;
  Ssl client = ssl_over_memory(client_ctx.get(), &client_out, &client_in);
  SSL_set_connect_state(client.get());
  if (!options.sni.empty())
    check(SSL_set_tlsext_host_name(client.get(), options.sni.c_str()) == 1, "host_name");
  if (!options.alpn.empty()) {
    std::vector<unsigned char> wire;
    for (const std::string& protocol : options.alpn) {
      wire.push_back(static_cast<unsigned char>(protocol.size()));
      wire.insert(wire.end(), protocol.begin(), protocol.end());
    }
    check(SSL_set_alpn_protos(client.get(), wire.data(), wire.size()) == 0, "alpn_protos");
  }
  SSL_do_handshake(client.get());  // wants the server's answer: stops after the ClientHello
  exchange.client_hello = drain(client_out);

  SslCtx server_ctx = server_context();
  BIO *server_out = nullptr, *server_in = nullptr;
  Ssl server = ssl_over_memory(server_ctx.get(), &server_out, &server_in);
  SSL_set_accept_state(server.get());
  BIO_write(server_in, exchange.client_hello.data(),
            static_cast<int>(exchange.client_hello.size()));
  SSL_do_handshake(server.get());
  exchange.server_hello = drain(server_out);
  ERR_clear_error();
  check(!exchange.client_hello.empty() && !exchange.server_hello.empty(), "handshake bytes");
  return exchange;
}

}  // namespace procflow::test
