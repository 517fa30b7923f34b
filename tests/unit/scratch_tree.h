// A temporary directory tree for tests of readers of the file system (a
// stand-in cgroup hierarchy, a pod log directory, a /proc): made empty,
// removed with everything in it at the end of the test.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace procflow::test {

class ScratchTree {
 public:
  ScratchTree() {
    std::string templ = (std::filesystem::temp_directory_path() / "procflow-tree-XXXXXX").string();
    if (::mkdtemp(templ.data())) root_ = templ;
  }
  ~ScratchTree() {
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }
  ScratchTree(const ScratchTree&) = delete;
  ScratchTree& operator=(const ScratchTree&) = delete;

  bool ok() const { return !root_.empty(); }
  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // Makes the directory and its parents; returns its inode number.
  uint64_t mkdir(const std::string& rel) const {
    std::filesystem::create_directories(path(rel));
    struct stat st = {};
    ::stat(path(rel).c_str(), &st);
    return st.st_ino;
  }
  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(path(rel)).parent_path());
    std::ofstream(path(rel)) << text;
  }
  void remove(const std::string& rel) const { std::filesystem::remove_all(path(rel)); }

 private:
  std::string root_;
};

}  // namespace procflow::test
