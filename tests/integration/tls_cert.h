// A self-signed certificate for the TLS peers (nginx, openssl s_server),
// made with the openssl command into a scratch directory: RSA 2048, no
// passphrase, CN and subjectAltName DNS:<name>. Clients do not verify it
// (curl -k); what matters is the handshake on the wire.
#pragma once

#include <filesystem>
#include <string>

namespace procflow_it {

struct TlsCert {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Writes <dir>/<name>.crt and .key; throws std::runtime_error if openssl fails.
TlsCert make_self_signed_cert(const std::filesystem::path& dir, const std::string& name);

}  // namespace procflow_it
