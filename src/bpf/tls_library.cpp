#include "bpf/tls_library.h"

#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace procflow {
namespace {

// glibc's cache format ("new" since 2.x, the only one Debian writes now):
// a header, then entries whose key (soname) and value (path) are offsets of
// NUL-terminated strings, counted from the start of that header.
constexpr std::string_view new_magic = "glibc-ld.so.cache1.1";
constexpr std::string_view old_magic = "ld.so-1.7.0";
constexpr size_t new_header_size = 48;  // magic+version 20, nlibs, len_strings, flags, ...
constexpr size_t new_entry_size = 24;   // flags, key, value, osversion, hwcap
constexpr size_t old_header_size = 16;  // magic with NUL, nlibs
constexpr size_t old_entry_size = 12;   // flags, key, value
constexpr int32_t flag_elf_libc6 = 0x0003;
constexpr int32_t flag_type_mask = 0x00ff;
constexpr int32_t flag_required_mask = 0xff00;

#if defined(__x86_64__)
constexpr int32_t arch_flag = 0x0300;  // FLAG_X8664_LIB64
constexpr std::string_view multiarch = "x86_64-linux-gnu";
#elif defined(__aarch64__)
constexpr int32_t arch_flag = 0x0a00;  // FLAG_AARCH64_LIB64
constexpr std::string_view multiarch = "aarch64-linux-gnu";
#else
constexpr int32_t arch_flag = -1;  // unknown: any entry, the file check decides
constexpr std::string_view multiarch = "";
#endif

uint32_t read_u32(const std::vector<char>& data, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, data.data() + at, sizeof v);
  return v;
}

bool is_file(const std::string& path) {
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The NUL-terminated string at base + offset, or "" if it leaves the data.
std::string_view string_at(const std::vector<char>& data, size_t base, uint32_t offset) {
  const size_t at = base + offset;
  if (at >= data.size()) return {};
  const char* start = data.data() + at;
  const void* nul = std::memchr(start, '\0', data.size() - at);
  if (!nul) return {};
  return {start, static_cast<size_t>(static_cast<const char*>(nul) - start)};
}

bool entry_for_this_arch(int32_t flags) {
  if ((flags & flag_type_mask) != flag_elf_libc6) return false;
  return arch_flag < 0 || (flags & flag_required_mask) == arch_flag;
}

// Every path the cache gives for `soname` on this architecture, best first
// (the loader's order is the cache's order).
std::vector<std::string> cached_paths(const std::vector<char>& data, std::string_view soname) {
  size_t base = 0;
  if (data.size() >= old_header_size &&
      std::string_view(data.data(), old_magic.size()) == old_magic) {
    // An old-format part first: the new part follows it, 8-byte aligned.
    const uint32_t old_count = read_u32(data, old_magic.size() + 1);
    base = old_header_size + size_t{old_count} * old_entry_size;
    base = (base + 7) & ~size_t{7};
  }
  std::vector<std::string> out;
  if (data.size() < base + new_header_size ||
      std::string_view(data.data() + base, new_magic.size()) != new_magic)
    return out;
  const uint32_t count = read_u32(data, base + 20);
  for (uint32_t i = 0; i < count; i++) {
    const size_t at = base + new_header_size + size_t{i} * new_entry_size;
    if (at + new_entry_size > data.size()) break;
    int32_t flags = 0;
    std::memcpy(&flags, data.data() + at, sizeof flags);
    if (!entry_for_this_arch(flags)) continue;
    if (string_at(data, base, read_u32(data, at + 4)) != soname) continue;
    const std::string_view path = string_at(data, base, read_u32(data, at + 8));
    if (!path.empty() && path.front() == '/') out.emplace_back(path);
  }
  return out;
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::string host_root_of(const std::string& host_proc) {
  if (host_proc.empty() || host_proc == "/proc") return "";
  return host_proc + "/1/root";
}

std::optional<std::string> find_shared_library(const std::string& root, std::string_view soname,
                                               std::string* why) {
  const std::string cache = root + "/etc/ld.so.cache";
  for (const std::string& path : cached_paths(read_file(cache), soname))
    if (is_file(root + path)) return root + path;
  // No cache, or a stale one: where Debian, Fedora and the rest put libraries.
  std::vector<std::string> dirs;
  if (!multiarch.empty()) {
    dirs.push_back("/usr/lib/" + std::string(multiarch));
    dirs.push_back("/lib/" + std::string(multiarch));
  }
  for (const char* dir :
       {"/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib64", "/usr/local/lib"})
    dirs.emplace_back(dir);
  for (const std::string& dir : dirs) {
    const std::string path = root + dir + "/" + std::string(soname);
    if (is_file(path)) return path;
  }
  *why = std::string(soname) + " not found (in " + cache + " nor the standard library " +
         "directories under " + (root.empty() ? "/" : root) + ")";
  return std::nullopt;
}

}  // namespace procflow
