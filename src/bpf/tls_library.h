// Finding the OpenSSL library the TLS uprobes attach to: the file the
// dynamic loader would map for "libssl.so.3", on the host.
//
// Uprobes attach to an inode, so one attachment to the host's libssl.so.3
// covers every process that maps that file. The loader's answer is read
// from its cache (/etc/ld.so.cache, parsed here: running `ldconfig -p`
// would mean a fork from a tracer), then the standard library directories
// are tried. Everything is looked up under a root, so that procflow in a
// container finds the host's library through the host's /proc
// (/host/proc/1/root/...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace procflow {

// The filesystem root of the host as procflow sees it: "" (this root) for
// the default /proc, else <host_proc>/1/root.
std::string host_root_of(const std::string& host_proc);

// The path (root included) of the library named `soname` for this
// machine's architecture; nullopt, with what was searched in *why, if none.
std::optional<std::string> find_shared_library(const std::string& root, std::string_view soname,
                                               std::string* why);

}  // namespace procflow
