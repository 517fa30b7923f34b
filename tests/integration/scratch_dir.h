// A directory of the test's own under /tmp, removed with everything in it when
// the test ends (also when it fails half-way). /tmp, not a tmpfs of its own:
// processes started with `ip netns exec` must see the same files.
#pragma once

#include <filesystem>
#include <string>

namespace procflow_it {

class ScratchDir {
 public:
  // Throws std::runtime_error when the directory cannot be made.
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Copies `from` to `to` (creating its directories) as an executable.
void copy_executable(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace procflow_it
