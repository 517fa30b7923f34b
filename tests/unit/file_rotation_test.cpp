// A file output that rotates by size, on real files: the kept files, read oldest to newest, hold
// exactly the newest lines, whole, in order, none twice; each file is as full as whole lines
// allow and no fuller (checked against a packing of the same lines computed here, which depends
// neither on how the lines were batched nor on the sink's code); a line larger than the limit
// gets a file of its own; reopening (SIGHUP, logrotate) and a reload's second sink on the same
// path lose and duplicate nothing; a rotation that cannot rename is counted and loses nothing;
// a full disk leaves no half line behind.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "output/line_sink.h"
#include "output/sink_queue.h"
#include "output/sink_uri.h"

namespace procflow {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/procflow_rotation_XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names of the entries in the directory.
  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(path_)) n++;
    return n;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Line i: a JSON-ish object of a length that varies with i (between 40 and about 290 bytes).
std::string line(size_t i) {
  return "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string((i * 37) % 251, 'x') + "\"}\n";
}

std::vector<std::string> lines(size_t from, size_t count) {
  std::vector<std::string> out;
  for (size_t i = from; i < from + count; ++i) out.push_back(line(i));
  return out;
}

// The files whole lines fill when each takes lines, in order, while they fit in `max_size` (a
// line alone larger than that gets a file of its own): what a rotating sink must produce,
// however the lines were batched. Oldest first; the last is the current file.
std::vector<std::string> packed(const std::vector<std::string>& all, size_t max_size) {
  std::vector<std::string> files(1);
  for (const std::string& l : all) {
    if (!files.back().empty() && files.back().size() + l.size() > max_size) files.emplace_back();
    files.back() += l;
  }
  return files;
}

// The files of `path` as they are on disk, oldest (PATH.keep) first, then PATH itself; a missing
// rotated file is skipped.
std::vector<std::string> files_on_disk(const std::string& path, uint32_t keep) {
  std::vector<std::string> out;
  for (uint32_t n = keep; n >= 1; --n)
    if (fs::exists(rotated_file_name(path, n))) out.push_back(slurp(rotated_file_name(path, n)));
  out.push_back(slurp(path));
  return out;
}

std::vector<std::string> newest(const std::vector<std::string>& files, size_t count) {
  if (files.size() <= count) return files;
  return {files.end() - static_cast<std::ptrdiff_t>(count), files.end()};
}

// Writes `all` in batches of 1 to 17 lines (a fixed pseudo-random sequence), flushing after each
// batch the way the output thread does.
void write_in_batches(LineSink& sink, const std::vector<std::string>& all, unsigned seed) {
  std::mt19937 random(seed);
  for (size_t i = 0; i < all.size();) {
    const size_t n = std::min<size_t>(1 + random() % 17, all.size() - i);
    std::string batch;
    for (size_t k = 0; k < n; ++k) batch += all[i + k];
    sink.write(batch);
    sink.flush();
    i += n;
  }
}

FileSinkOptions rotating(uint64_t max_size, uint32_t keep, FsyncPolicy fsync = FsyncPolicy::never) {
  FileSinkOptions o;
  o.max_size_bytes = max_size;
  o.keep = keep;
  o.fsync = fsync;
  return o;
}

TEST(FileRotation, KeptFilesHoldTheNewestLinesWholeInOrder) {
  TempDir dir;
  const std::string path = dir.file("flows.json");
  const auto all = lines(0, 3000);  // about 500 KB: over a hundred 4 KiB files
  const auto expected = packed(all, 4096);
  ASSERT_GT(expected.size(), 100u);
  std::string error;
  {
    auto sink = LineSink::to_file(path, rotating(4096, 3), &error, 1024);
    ASSERT_NE(sink, nullptr) << error;
    write_in_batches(*sink, all, 1);
    EXPECT_EQ(sink->rotations(), expected.size() - 1);
    EXPECT_EQ(sink->rotation_errors(), 0u);
    EXPECT_EQ(sink->syncs(), 0u) << "fsync: never";
    EXPECT_FALSE(sink->broken());
  }
  EXPECT_EQ(dir.entries(), 4u) << "keep + 1 files: PATH, PATH.1 .. PATH.3";
  const auto on_disk = files_on_disk(path, 3);
  ASSERT_EQ(on_disk.size(), 4u);
  EXPECT_EQ(on_disk, newest(expected, 4));
  for (const std::string& f : on_disk) {
    EXPECT_LE(f.size(), 4096u);
    EXPECT_TRUE(f.starts_with("{\"n\":") && f.ends_with("\"}\n")) << "whole lines only";
  }
  // The kept lines, concatenated, are the tail of everything written, from a line's start.
  std::string kept, everything;
  for (const auto& f : on_disk) kept += f;
  for (const auto& l : all) everything += l;
  EXPECT_TRUE(everything.ends_with(kept));
  EXPECT_EQ(everything[everything.size() - kept.size() - 1], '\n');
}

TEST(FileRotation, TheCutDoesNotDependOnTheBatches) {
  TempDir dir;
  const auto all = lines(0, 800);
  std::string error;
  for (unsigned seed : {2u, 3u}) {
    const std::string path = dir.file("run" + std::to_string(seed) + ".json");
    auto sink = LineSink::to_file(path, rotating(2048, 1000), &error, 700);
    ASSERT_NE(sink, nullptr) << error;
    write_in_batches(*sink, all, seed);
    sink.reset();
    EXPECT_EQ(files_on_disk(path, 1000), packed(all, 2048)) << "seed " << seed;
  }
}

TEST(FileRotation, ThroughTheOutputQueueEveryLineArrivesOnce) {
  // The path a live trace takes: the URI, the queue, its thread's batches.
  TempDir dir;
  const std::string path = dir.file("flows.json");
  std::string error;
  auto sink = open_sink("file:" + path + "?max_size_kib=2&keep=1000", &error);
  ASSERT_NE(sink, nullptr) << error;
  SinkQueue queue(std::move(sink), 64 * 1024, SinkQueue::WhenFull::wait);
  const auto all = lines(0, 5000);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_TRUE(queue.offer(all[i]));
    if (i % 100 == 0) queue.flush();
  }
  ASSERT_TRUE(queue.drain(std::chrono::seconds(30)));
  const auto expected = packed(all, 2048);
  EXPECT_EQ(queue.stats().rotations, expected.size() - 1);
  EXPECT_EQ(queue.stats().rotation_errors, 0u);
  EXPECT_EQ(queue.stats().events_written, all.size());
  EXPECT_EQ(files_on_disk(path, 1000), expected);
}

TEST(FileRotation, ALineLargerThanTheLimitGetsAFileOfItsOwn) {
  TempDir dir;
  const std::string path = dir.file("flows.json");
  const std::string big = "{\"big\":\"" + std::string(3000, 'b') + "\"}\n";
  std::string error;
  {
    auto sink = LineSink::to_file(path, rotating(1024, 10), &error, 512);
    ASSERT_NE(sink, nullptr) << error;
    sink->write(big);                                             // first, into the empty file
    sink->write("{\"a\":1}\n{\"a\":2}\n" + big + "{\"a\":3}\n");  // one batch around another
    sink->flush();
    EXPECT_EQ(sink->rotations(), 3u);
  }
  EXPECT_EQ(files_on_disk(path, 10),
            (std::vector<std::string>{big, "{\"a\":1}\n{\"a\":2}\n", big, "{\"a\":3}\n"}));
}

TEST(FileRotation, AFileAlreadyFullIsRotatedBeforeTheFirstLine) {
  TempDir dir;
  const std::string path = dir.file("flows.json");
  const std::string old_content = std::string(1500, 'o') + "\n";
  std::ofstream(path) << old_content;
  std::string error;
  {
    auto sink = LineSink::to_file(path, rotating(1024, 2), &error);
    ASSERT_NE(sink, nullptr) << error;
    sink->write("{\"new\":1}\n");
  }
  EXPECT_EQ(files_on_disk(path, 2), (std::vector<std::string>{old_content, "{\"new\":1}\n"}));
}

TEST(FileRotation, ReopeningBetweenRotationsChangesNothing) {
  // SIGHUP with nothing moved: the same path opens again, its size read anew.
  TempDir dir;
  const std::string path = dir.file("flows.json");
  const auto all = lines(0, 600);
  std::string error;
  {
    auto sink = LineSink::to_file(path, rotating(2048, 1000), &error, 300);
    ASSERT_NE(sink, nullptr) << error;
    for (size_t i = 0; i < all.size(); ++i) {
      sink->write(all[i]);
      if (i % 7 == 0) sink->reopen();
      EXPECT_EQ(sink->reopen_error(), "");
    }
  }
  EXPECT_EQ(files_on_disk(path, 1000), packed(all, 2048));
}

TEST(FileRotation, LogrotateMovingTheFileLosesNothing) {
  // logrotate renames the current file, then SIGHUP: what was buffered goes to the moved file,
  // what follows to a new PATH, and rotation goes on from there.
  TempDir dir;
  const std::string path = dir.file("flows.json");
  const auto before = lines(0, 300), after = lines(300, 300);
  const auto packed_before = packed(before, 2048);
  // The buffered line joins the moved file if it fits there, else it opens the new PATH (the
  // sink sees the file was moved and does not rename anything).
  const bool buffered_line_fits = packed_before.back().size() + after[0].size() <= 2048;
  std::string error;
  uint64_t rotations_before = 0, rotations_after = 0;
  {
    auto sink = LineSink::to_file(path, rotating(2048, 1000), &error, 300);
    ASSERT_NE(sink, nullptr) << error;
    write_in_batches(*sink, before, 4);
    ASSERT_EQ(::rename(path.c_str(), dir.file("moved").c_str()), 0);
    sink->write(after[0]);  // buffered, not yet written
    sink->reopen();
    EXPECT_EQ(sink->reopen_error(), "");
    rotations_before = sink->rotations();
    write_in_batches(*sink, {after.begin() + 1, after.end()}, 5);
    rotations_after = sink->rotations() - rotations_before;
  }
  ASSERT_EQ(packed_before.size(), rotations_before + 1);
  EXPECT_EQ(slurp(dir.file("moved")), packed_before.back() + (buffered_line_fits ? after[0] : ""));
  // Oldest first: the files rotated before the move (their numbers shifted up by the rotations
  // since), then the files since the move.
  std::vector<std::string> expected(packed_before.begin(), packed_before.end() - 1);
  const std::vector<std::string> since(after.begin() + (buffered_line_fits ? 1 : 0), after.end());
  for (const auto& f : packed(since, 2048)) expected.push_back(f);
  const auto on_disk = files_on_disk(path, 1000);
  EXPECT_EQ(on_disk.size(), rotations_before + rotations_after + 1);
  EXPECT_EQ(on_disk, expected);
}

TEST(FileRotation, AReloadsTwoSinksOnOnePathShareTheRotation) {
  // A reload opens the new output while the old one still drains, and the old one may rotate
  // meanwhile: the new one must write after it, not into the file that was renamed.
  TempDir dir;
  const std::string path = dir.file("flows.json");
  const auto first = lines(0, 100), draining = lines(100, 100), second = lines(200, 200);
  std::string error;
  auto old_sink = LineSink::to_file(path, rotating(2048, 1000), &error, 300);
  ASSERT_NE(old_sink, nullptr) << error;
  write_in_batches(*old_sink, first, 6);
  auto new_sink = LineSink::to_file(path, rotating(2048, 1000), &error, 300);
  ASSERT_NE(new_sink, nullptr) << error;
  write_in_batches(*old_sink, draining, 7);
  ASSERT_GT(old_sink->rotations(), 0u);
  old_sink.reset();
  write_in_batches(*new_sink, second, 8);
  new_sink.reset();
  std::vector<std::string> all = first;
  all.insert(all.end(), draining.begin(), draining.end());
  all.insert(all.end(), second.begin(), second.end());
  EXPECT_EQ(files_on_disk(path, 1000), packed(all, 2048));
}

TEST(FileRotation, ARenameThatFailsIsCountedAndLosesNothing) {
  // As root permissions stop nothing; a directory where PATH.1 should go does: rename(2) of a
  // file onto a directory fails with EISDIR.
  TempDir dir;
  const std::string path = dir.file("flows.json");
  ASSERT_EQ(::mkdir(rotated_file_name(path, 1).c_str(), 0700), 0);
  std::vector<std::string> all;
  for (int i = 0; i < 140; ++i) {
    char l[33];
    std::snprintf(l, sizeof l, "{\"line\":%05d,\"pad\":\"xxxxxxx\"}\n", i);
    all.emplace_back(l, 32);
  }
  std::string error;
  auto sink = LineSink::to_file(path, rotating(1024, 1), &error);
  ASSERT_NE(sink, nullptr) << error;
  // 32 lines fill a file. Line 33 is due for rotation: it fails, and the next attempt comes a
  // file's worth later, at lines 65 and 97.
  for (int i = 0; i < 100; ++i) sink->write(all[i]);
  sink->flush();
  EXPECT_EQ(sink->rotation_errors(), 3u);
  EXPECT_EQ(sink->rotations(), 0u);
  EXPECT_NE(sink->rotation_error().find("cannot rename " + path + " to " + path + ".1"),
            std::string::npos)
      << sink->rotation_error();
  EXPECT_FALSE(sink->broken());
  std::string first_hundred;
  for (int i = 0; i < 100; ++i) first_hundred += all[i];
  EXPECT_EQ(slurp(path), first_hundred);
  // The obstacle goes; the next attempt (at 4096 bytes, line 129) succeeds.
  ASSERT_EQ(::rmdir(rotated_file_name(path, 1).c_str()), 0);
  for (int i = 100; i < 140; ++i) sink->write(all[i]);
  sink->flush();
  EXPECT_EQ(sink->rotations(), 1u);
  EXPECT_EQ(sink->rotation_errors(), 3u);
  std::string first_file, second_file;
  for (int i = 0; i < 128; ++i) first_file += all[i];
  for (int i = 128; i < 140; ++i) second_file += all[i];
  EXPECT_EQ(files_on_disk(path, 1), (std::vector<std::string>{first_file, second_file}));
}

TEST(FileRotation, OnlyARegularFileRotates) {
  std::string error;
  EXPECT_EQ(LineSink::to_file("/dev/null", rotating(1024, 2), &error), nullptr);
  EXPECT_EQ(error, "/dev/null is not a regular file: only a regular file rotates");
  EXPECT_NE(LineSink::to_file("/dev/null", FileSinkOptions{}, &error), nullptr)
      << "without rotation any writable file will do";
}

TEST(FileRotation, SyncsFollowThePolicy) {
  // The counts of fsync/fdatasync calls the sink made (the system calls themselves are traced
  // in fsync_policy_test.cpp).
  TempDir dir;
  std::string error;
  const auto all = lines(0, 50);
  struct Case {
    FsyncPolicy policy;
    uint64_t max_size;
  } cases[] = {{FsyncPolicy::never, 2048}, {FsyncPolicy::rotate, 2048}, {FsyncPolicy::batch, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(fsync_policy_name(c.policy)));
    const std::string path = dir.file(std::string(fsync_policy_name(c.policy)));
    auto sink = LineSink::to_file(path, rotating(c.max_size, 100, c.policy), &error);
    ASSERT_NE(sink, nullptr) << error;
    for (const std::string& l : all) {
      sink->write(l);
      sink->flush();
    }
    sink->flush();  // nothing new: no sync
    const uint64_t rotations = sink->rotations();
    switch (c.policy) {
      case FsyncPolicy::never:
        EXPECT_GT(rotations, 0u);
        EXPECT_EQ(sink->syncs(), 0u);
        break;
      case FsyncPolicy::rotate:
        // The directory once at open; per rotation the file, then the directory.
        EXPECT_GT(rotations, 0u);
        EXPECT_EQ(sink->syncs(), 1 + 2 * rotations);
        break;
      case FsyncPolicy::batch:
        // The directory at open, then every batch (each flush() that followed data).
        EXPECT_EQ(sink->syncs(), 1 + all.size());
        break;
    }
    EXPECT_EQ(sink->sync_errors(), 0u);
  }
}

TEST(FileRotation, AFullDiskLeavesNoHalfLine) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  TempDir dir;
  const std::string mount_point = dir.file("small");
  ASSERT_EQ(::mkdir(mount_point.c_str(), 0700), 0);
  ASSERT_EQ(
      ::mount("procflow-test", mount_point.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k"), 0)
      << strerror(errno);
  struct Unmount {
    std::string at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  const std::string path = mount_point + "/flows.json";
  std::string error;
  auto sink = LineSink::to_file(path, rotating(16 * 1024, 100), &error, 5000);
  ASSERT_NE(sink, nullptr) << error;
  const auto all = lines(0, 2000);  // about 330 KB into 64 KiB
  for (const std::string& l : all) sink->write(l);
  sink->flush();
  ASSERT_TRUE(sink->broken());
  EXPECT_EQ(sink->last_error(), ENOSPC);
  // Whatever reached the files is whole lines, in order, from the first: nothing split.
  std::string stored;
  for (const auto& f : files_on_disk(path, 100)) stored += f;
  std::string everything;
  for (const auto& l : all) everything += l;
  ASSERT_FALSE(stored.empty());
  EXPECT_TRUE(everything.starts_with(stored));
  EXPECT_EQ(stored.back(), '\n');
  EXPECT_EQ(sink->bytes_written(), stored.size());
  EXPECT_EQ(sink->bytes_written() + sink->bytes_dropped(), everything.size());
}

}  // namespace
}  // namespace procflow
