// Tests the interpretation of a process image: the kernel's exec-record path
// and flags, /proc/<pid>/exe text (" (deleted)", memfds), completing a
// truncated tail from the exe link, and when an execve() filename can stand
// in for the image.
#include "enrich/process_image.h"

#include <gtest/gtest.h>

#include "procflow_abi.h"

namespace procflow {
namespace {

TEST(ProcessImageTest, KernelPathWithoutFlags) {
  ProcessImage image = image_from_kernel("/usr/bin/curl", 0);
  EXPECT_EQ(image.path, "/usr/bin/curl");
  EXPECT_EQ(image.exe(), "curl");
  EXPECT_FALSE(image.deleted || image.memfd || image.truncated);
}

TEST(ProcessImageTest, KernelMemfd) {
  ProcessImage image = image_from_kernel("/memfd:x y", PF_IMAGE_ANONYMOUS | PF_IMAGE_DELETED);
  EXPECT_EQ(image.path, "/memfd:x y");
  EXPECT_EQ(image.exe(), "memfd:x y");
  EXPECT_TRUE(image.memfd);
  EXPECT_TRUE(image.deleted);
  EXPECT_FALSE(image.truncated);
}

TEST(ProcessImageTest, KernelTruncatedTailIsMarked) {
  ProcessImage image = image_from_kernel("/sshd/x/evil", PF_IMAGE_TRUNCATED);
  EXPECT_EQ(image.path, ".../sshd/x/evil");
  EXPECT_EQ(image.exe(), "evil");
  EXPECT_TRUE(image.truncated);
  EXPECT_FALSE(image.path.starts_with('/'));  // never mistaken for a whole path
}

TEST(ProcessImageTest, KernelUnresolvedIsUnknown) {
  ProcessImage image = image_from_kernel("", PF_IMAGE_DELETED);
  EXPECT_FALSE(image.known());
  EXPECT_FALSE(image.deleted);
  EXPECT_EQ(image.exe(), "");
}

TEST(ProcessImageTest, ExeLinkPlain) {
  EXPECT_EQ(image_from_exe_link("/usr/sbin/nginx"), (ProcessImage{"/usr/sbin/nginx"}));
}

TEST(ProcessImageTest, ExeLinkDeleted) {
  ProcessImage image = image_from_exe_link("/usr/sbin/nginx (deleted)");
  EXPECT_EQ(image.path, "/usr/sbin/nginx");
  EXPECT_TRUE(image.deleted);
  EXPECT_FALSE(image.memfd);
}

TEST(ProcessImageTest, ExeLinkMemfd) {
  ProcessImage image = image_from_exe_link("/memfd:payload (deleted)");
  EXPECT_EQ(image.path, "/memfd:payload");
  EXPECT_EQ(image.exe(), "memfd:payload");
  EXPECT_TRUE(image.memfd);
  EXPECT_TRUE(image.deleted);
}

TEST(ProcessImageTest, ExeLinkLookalikesAreNotMemfds) {
  // A live file named like a memfd, and one in a directory of that name.
  EXPECT_FALSE(image_from_exe_link("/memfd:payload").memfd);
  EXPECT_FALSE(image_from_exe_link("/memfd:dir/payload (deleted)").memfd);
  EXPECT_FALSE(image_from_exe_link("/tmp/memfd:payload (deleted)").memfd);
}

TEST(ProcessImageTest, ExeLinkThatIsOnlyTheSuffix) {
  ProcessImage image = image_from_exe_link(" (deleted)");
  EXPECT_EQ(image.path, " (deleted)");
  EXPECT_FALSE(image.deleted);
}

TEST(ProcessImageTest, CompleteFromTheSameImage) {
  ProcessImage image = image_from_kernel("/b/evil", PF_IMAGE_TRUNCATED);
  EXPECT_TRUE(complete_from_exe_link(image, "/a/b/evil"));
  EXPECT_EQ(image.path, "/a/b/evil");
  EXPECT_FALSE(image.truncated);
}

TEST(ProcessImageTest, CompleteKeepsWhatTheKernelSaid) {
  ProcessImage image = image_from_kernel("/b/evil", PF_IMAGE_TRUNCATED | PF_IMAGE_DELETED);
  EXPECT_TRUE(complete_from_exe_link(image, "/a/b/evil (deleted)"));
  EXPECT_EQ(image.path, "/a/b/evil");
  EXPECT_TRUE(image.deleted);
}

TEST(ProcessImageTest, CompleteRefusesAnotherImage) {
  ProcessImage image = image_from_kernel("/b/evil", PF_IMAGE_TRUNCATED);
  EXPECT_FALSE(complete_from_exe_link(image, "/a/c/evil"));
  EXPECT_FALSE(complete_from_exe_link(image, "/b/evil"));   // no longer than the tail
  EXPECT_FALSE(complete_from_exe_link(image, ""));          // gone
  EXPECT_FALSE(complete_from_exe_link(image, "x/b/evil"));  // not absolute
  EXPECT_EQ(image.path, ".../b/evil");
  EXPECT_TRUE(image.truncated);
}

TEST(ProcessImageTest, CompleteOfAWholeImageIsANoOp) {
  ProcessImage image = image_from_kernel("/a/b", 0);
  EXPECT_TRUE(complete_from_exe_link(image, "/other"));
  EXPECT_EQ(image.path, "/a/b");
}

TEST(ProcessImageTest, ExecFilenameAbsoluteAndRelative) {
  EXPECT_EQ(image_from_exec_filename("/bin/x", false, "/srv").path, "/bin/x");
  EXPECT_EQ(image_from_exec_filename("./bin/../x", false, "/srv").path, "/srv/x");
  EXPECT_EQ(image_from_exec_filename("bin/x", false, "").path, "bin/x");
}

TEST(ProcessImageTest, ExecFilenameThatNamesNoImage) {
  EXPECT_FALSE(image_from_exec_filename("/opt/cut-off-na", true, "/").known());
  EXPECT_FALSE(image_from_exec_filename("/dev/fd/3", false, "/").known());
  EXPECT_FALSE(image_from_exec_filename("/proc/self/fd/3", false, "/").known());
  EXPECT_FALSE(image_from_exec_filename("", false, "/").known());
}

}  // namespace
}  // namespace procflow
