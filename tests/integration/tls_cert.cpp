// Self-signed certificates; see tls_cert.h.
#include "tls_cert.h"

#include <stdexcept>

#include "spawned_process.h"

namespace procflow_it {

TlsCert make_self_signed_cert(const std::filesystem::path& dir, const std::string& name) {
  TlsCert made{dir / (name + ".crt"), dir / (name + ".key")};
  std::vector<std::string> argv = {"openssl",  "req",
                                   "-x509",    "-newkey",
                                   "rsa:2048", "-nodes",
                                   "-days",    "2",
                                   "-subj",    "/CN=" + name,
                                   "-addext",  "subjectAltName=DNS:" + name,
                                   "-keyout",  made.key.string(),
                                   "-out",     made.cert.string()};
  CommandResult result = run_command(argv, 60s);
  if (!result.ok()) throw std::runtime_error(result.describe(argv));
  return made;
}

}  // namespace procflow_it
