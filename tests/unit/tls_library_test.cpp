// Tests finding libssl.so.3 (src/bpf/tls_library.h) in a fake root: the
// loader's cache in glibc's format (new, and old + new), entries of another
// architecture, a cache naming a file that is gone, the standard directories
// without a cache, nothing at all, and the host root behind --host-proc.
#include "bpf/tls_library.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace procflow {
namespace {

namespace fs = std::filesystem;

#if defined(__x86_64__)
constexpr int32_t this_arch = 0x0303;   // ELF libc6, x86-64
constexpr int32_t other_arch = 0x0a03;  // ELF libc6, AArch64
const char* multiarch_dir = "/usr/lib/x86_64-linux-gnu";
#else
constexpr int32_t this_arch = 0x0a03;
constexpr int32_t other_arch = 0x0303;
const char* multiarch_dir = "/usr/lib/aarch64-linux-gnu";
#endif

class FakeRoot {
 public:
  FakeRoot() {
    std::string tmpl = (fs::temp_directory_path() / "pf-tls-lib-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~FakeRoot() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  void file(const std::string& rel) {
    fs::create_directories(fs::path(path_ + rel).parent_path());
    std::ofstream(path_ + rel) << "ELF";
  }
  void write(const std::string& rel, const std::vector<char>& data) {
    fs::create_directories(fs::path(path_ + rel).parent_path());
    std::ofstream(path_ + rel, std::ios::binary).write(data.data(), data.size());
  }

 private:
  std::string path_;
};

struct CacheEntry {
  int32_t flags;
  std::string soname;
  std::string path;
};

void put(std::vector<char>* out, size_t at, const void* v, size_t n) {
  std::memcpy(out->data() + at, v, n);
}

// glibc's new cache format: header, entries, then the strings; offsets from
// the header's start.
std::vector<char> new_cache(const std::vector<CacheEntry>& entries) {
  const size_t header = 48, entry = 24;
  std::vector<char> out(header + entries.size() * entry, 0);
  std::memcpy(out.data(), "glibc-ld.so.cache1.1", 20);
  const uint32_t count = static_cast<uint32_t>(entries.size());
  put(&out, 20, &count, 4);
  for (size_t i = 0; i < entries.size(); i++) {
    const uint32_t key = static_cast<uint32_t>(out.size());
    out.insert(out.end(), entries[i].soname.begin(), entries[i].soname.end());
    out.push_back('\0');
    const uint32_t value = static_cast<uint32_t>(out.size());
    out.insert(out.end(), entries[i].path.begin(), entries[i].path.end());
    out.push_back('\0');
    const size_t at = header + i * entry;
    put(&out, at, &entries[i].flags, 4);
    put(&out, at + 4, &key, 4);
    put(&out, at + 8, &value, 4);
  }
  return out;
}

// An old-format part of `old_count` entries, then the new cache, 8-aligned.
std::vector<char> old_and_new_cache(uint32_t old_count, const std::vector<CacheEntry>& entries) {
  std::vector<char> out(16 + old_count * 12, 0);
  std::memcpy(out.data(), "ld.so-1.7.0", 12);
  put(&out, 12, &old_count, 4);
  out.resize((out.size() + 7) & ~size_t{7}, 0);
  const std::vector<char> rest = new_cache(entries);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

TEST(TlsLibraryTest, TheLoadersCacheDecides) {
  FakeRoot root;
  root.file("/opt/ssl/libssl.so.3");
  root.file(std::string(multiarch_dir) + "/libssl.so.3");  // not the loader's choice
  root.write("/etc/ld.so.cache",
             new_cache({{this_arch, "libcrypto.so.3", "/opt/ssl/libcrypto.so.3"},
                        {this_arch, "libssl.so.3", "/opt/ssl/libssl.so.3"}}));
  std::string why;
  EXPECT_EQ(find_shared_library(root.path(), "libssl.so.3", &why),
            root.path() + "/opt/ssl/libssl.so.3");
}

TEST(TlsLibraryTest, EntriesOfAnotherArchitectureAreSkipped) {
  FakeRoot root;
  root.file("/opt/foreign/libssl.so.3");
  root.file("/opt/native/libssl.so.3");
  root.write("/etc/ld.so.cache",
             new_cache({{other_arch, "libssl.so.3", "/opt/foreign/libssl.so.3"},
                        {this_arch, "libssl.so.3", "/opt/native/libssl.so.3"}}));
  std::string why;
  EXPECT_EQ(find_shared_library(root.path(), "libssl.so.3", &why),
            root.path() + "/opt/native/libssl.so.3");
}

TEST(TlsLibraryTest, OldAndNewFormatCache) {
  FakeRoot root;
  root.file("/opt/ssl/libssl.so.3");
  root.write("/etc/ld.so.cache",
             old_and_new_cache(3, {{this_arch, "libssl.so.3", "/opt/ssl/libssl.so.3"}}));
  std::string why;
  EXPECT_EQ(find_shared_library(root.path(), "libssl.so.3", &why),
            root.path() + "/opt/ssl/libssl.so.3");
}

TEST(TlsLibraryTest, AStaleCacheFallsBackToTheStandardDirectories) {
  FakeRoot root;
  root.file(std::string(multiarch_dir) + "/libssl.so.3");
  root.write("/etc/ld.so.cache", new_cache({{this_arch, "libssl.so.3", "/opt/gone/libssl.so.3"}}));
  std::string why;
  EXPECT_EQ(find_shared_library(root.path(), "libssl.so.3", &why),
            root.path() + multiarch_dir + "/libssl.so.3");
}

TEST(TlsLibraryTest, NoCacheLib64) {
  FakeRoot root;
  root.file("/usr/lib64/libssl.so.3");
  std::string why;
  EXPECT_EQ(find_shared_library(root.path(), "libssl.so.3", &why),
            root.path() + "/usr/lib64/libssl.so.3");
}

TEST(TlsLibraryTest, AGarbledCacheIsIgnored) {
  FakeRoot root;
  root.file("/lib/libssl.so.3");
  std::vector<char> cache = new_cache({{this_arch, "libssl.so.3", "/opt/x/libssl.so.3"}});
  const uint32_t huge = 0xfffffff0u;
  put(&cache, 20, &huge, 4);      // more entries than the file holds
  put(&cache, 48 + 8, &huge, 4);  // a path offset past the end
  root.write("/etc/ld.so.cache", cache);
  std::string why;
  EXPECT_EQ(find_shared_library(root.path(), "libssl.so.3", &why),
            root.path() + "/lib/libssl.so.3");
}

TEST(TlsLibraryTest, NotFoundSaysWhereItLooked) {
  FakeRoot root;
  root.write("/etc/ld.so.cache", new_cache({{this_arch, "libcrypto.so.3", "/x/libcrypto.so.3"}}));
  std::string why;
  EXPECT_FALSE(find_shared_library(root.path(), "libssl.so.3", &why));
  EXPECT_NE(why.find("libssl.so.3 not found"), std::string::npos) << why;
  EXPECT_NE(why.find(root.path() + "/etc/ld.so.cache"), std::string::npos) << why;
}

TEST(TlsLibraryTest, HostRootBehindHostProc) {
  EXPECT_EQ(host_root_of("/proc"), "");
  EXPECT_EQ(host_root_of(""), "");
  EXPECT_EQ(host_root_of("/host/proc"), "/host/proc/1/root");
}

}  // namespace
}  // namespace procflow
