// The TLS uprobes (bpf/tls.bpf.h) attached to one OpenSSL library file: an
// entry program on each of SSL_write, SSL_read, SSL_write_ex and SSL_read_ex
// (and SSL_do_handshake, a need of its own in the plan), and the shared
// return program on each. Every process that maps the file is covered
// (uprobes attach to its inode), including processes that start later. Owns
// its links: destroying it detaches them all.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/libbpf_raii.h"

struct bpf_program;

namespace procflow {

struct TlsFunction {
  std::string_view symbol;
  std::string_view entry_program;
};

// The functions probed, in the order `probe` names them: the four that move
// plaintext (need tls_plaintext), then the handshake, which only names the
// socket of its SSL object (need tls_handshake).
inline constexpr std::array<TlsFunction, 5> tls_functions{{
    {"SSL_write", "pf_ssl_write_entry"},
    {"SSL_read", "pf_ssl_read_entry"},
    {"SSL_write_ex", "pf_ssl_write_ex_entry"},
    {"SSL_read_ex", "pf_ssl_read_ex_entry"},
    {"SSL_do_handshake", "pf_ssl_handshake_entry"},
}};
inline constexpr size_t tls_plaintext_function_count = 4;
inline constexpr std::string_view tls_return_program = "pf_ssl_return";
inline constexpr std::string_view tls_soname = "libssl.so.3";

// "SSL_write, SSL_read, SSL_write_ex, SSL_read_ex": the plaintext functions.
std::string tls_function_list();

// "" when the kernel can attach uprobes through perf (the uprobe PMU);
// else why not.
std::string uprobe_support_problem(const std::string& sysfs = "/sys");

// Whether a program is one of the uprobes (attached here, not by
// BpfSession's generic attach).
bool is_uprobe_program(const bpf_program* prog);

class TlsUprobes {
 public:
  using ProgramLookup = std::function<bpf_program*(std::string_view)>;
  // The functions whose entry program the session loads (the plan chose
  // its need), each with the return program: all of them or none, nullptr
  // and why (a missing symbol names the function).
  static std::unique_ptr<TlsUprobes> attach(const ProgramLookup& program,
                                            const std::string& library, std::string* error);
  const std::string& library() const { return library_; }

 private:
  TlsUprobes() = default;
  std::string library_;
  std::vector<BpfLinkPtr> links_;
};

}  // namespace procflow
