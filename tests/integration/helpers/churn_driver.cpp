// Integration-test helper for the soak test: starts churn_worker processes
// at a steady pace for a while, a few at a time, each a fresh process with a
// random job (TCP closed or reset, a refused connect, UDP connected or not,
// or a chain of two jobs with an exec between them), on one of the three
// worker images.
//
//   churn_driver SECONDS PER_SECOND IN_FLIGHT SEED IMAGE_A,IMAGE_B,IMAGE_C
//                TCP_IP TCP_PORT CLOSED_PORT UDP_IP UDP_PORT UDP_PORT_FROM UDP_PORT_TO
//                REUSE_EVERY
//
// Pid reuse: every REUSE_EVERY-th worker is started with clone3(set_tid) on
// the pid of a worker that already exited (and was reaped), running another
// image than that one did, so the same pid stands for two programs within
// seconds. That needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE), and the pid
// must still be free; when the kernel refuses, the worker gets a fresh pid and
// the refusal is counted. No global setting (kernel.pid_max) is touched.
//
// UDP workers bind local ports UDP_PORT_FROM..UDP_PORT_TO in turn (below the
// ephemeral range), so the server's (socket, peer) flows of two workers never
// share a peer port unless the range wraps, long after the idle timeout.
//
// Lines (the workers print their own, see churn_worker.cpp):
//   {"driver_pid":..}
//   {"spawned":SEQ,"pid":..,"image":"/abs/churn_b","job":"udp","reused_pid":true}
//   {"reaped":SEQ,"pid":..,"exit_code":..}   (exit_code -1: killed by a signal)
//   {"done":true,"spawned":..,"reused":..,"reuse_refused":..,"failed":..}   exit 0
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "socket_util.h"

namespace {

struct Config {
  long seconds = 0;
  long per_second = 0;
  long in_flight = 0;
  long seed = 0;
  std::vector<std::string> images;
  std::string tcp_ip, tcp_port, closed_port, udp_ip, udp_port;
  long udp_port_from = 0, udp_port_to = 0;
  long reuse_every = 0;
};

struct Running {
  long seq = 0;
  size_t last_image = 0;  // the image of its last job (a chain execs another)
};

// One worker's command line and what the driver says about it.
struct Command {
  std::vector<std::string> argv;
  std::string first_job;
  size_t last_image = 0;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t end; (end = text.find(sep, start)) != std::string::npos; start = end + 1)
    out.push_back(text.substr(start, end - start));
  out.push_back(text.substr(start));
  return out;
}

class Churn {
 public:
  explicit Churn(Config config) : c_(std::move(config)), random_(static_cast<unsigned>(c_.seed)) {
    next_udp_port_ = c_.udp_port_from;
  }

  int run() {
    pf_helper::emit_line(R"({"driver_pid":%d})", getpid());
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::seconds(c_.seconds);
    const auto gap = std::chrono::microseconds(1000000 / c_.per_second);
    auto next = start;
    while (std::chrono::steady_clock::now() < end) {
      reap(false);
      while (static_cast<long>(running_.size()) >= c_.in_flight) reap(true);
      std::this_thread::sleep_until(next);
      // Behind schedule (a busy machine): go on at the pace, no burst to catch up.
      next = std::max(next + gap, std::chrono::steady_clock::now());
      spawn();
    }
    while (!running_.empty()) reap(true);
    pf_helper::emit_line(R"({"done":true,"spawned":%ld,"reused":%ld,"reuse_refused":%ld,)"
                         R"("failed":%ld})",
                         seq_, reused_, reuse_refused_, failed_);
    return 0;
  }

 private:
  long pick(long from, long to) { return std::uniform_int_distribution<long>(from, to)(random_); }

  // The job's arguments after "IMAGE SEQ STEP".
  std::vector<std::string> job(const std::string& kind) {
    if (kind == "tcp" || kind == "reset")
      return {kind, c_.tcp_ip, c_.tcp_port, std::to_string(pick(1, 16384))};
    if (kind == "refused") return {kind, c_.tcp_ip, c_.closed_port};
    const long port = next_udp_port_;
    next_udp_port_ = next_udp_port_ == c_.udp_port_to ? c_.udp_port_from : next_udp_port_ + 1;
    return {kind,
            c_.udp_ip,
            c_.udp_port,
            std::to_string(port),
            std::to_string(pick(1, 4)),
            std::to_string(pick(0, 512)),
            pick(0, 1) ? "connected" : "unconnected"};
  }

  // 35% closed, 15% reset, 10% refused, 25% UDP, 15% a chain of two.
  Command command(long seq, size_t image) {
    static const char* kinds[] = {"tcp", "reset", "refused", "udp"};
    const long roll = pick(0, 99);
    const bool chain = roll >= 85;
    Command c;
    c.first_job = roll < 35 || chain ? "tcp" : roll < 50 ? "reset" : roll < 60 ? "refused" : "udp";
    c.last_image = image;
    c.argv = {c_.images[image], std::to_string(seq), "0"};
    for (auto& arg : job(c.first_job)) c.argv.push_back(std::move(arg));
    if (chain) {
      c.last_image = (image + 1 + static_cast<size_t>(pick(0, 1))) % c_.images.size();
      c.argv.insert(c.argv.end(), {"--then", c_.images[c.last_image], std::to_string(seq), "1"});
      for (auto& arg : job(kinds[pick(0, 3)])) c.argv.push_back(std::move(arg));
    }
    return c;
  }

  // A freed pid whose last image differs from `image`, if one is waiting.
  std::optional<pid_t> reusable_pid(size_t image) {
    for (auto it = freed_.rbegin(); it != freed_.rend(); ++it) {
      if (it->second == image) continue;
      const pid_t pid = it->first;
      freed_.erase(std::next(it).base());
      return pid;
    }
    return std::nullopt;
  }

  pid_t start_child(const std::vector<std::string>& argv, std::optional<pid_t> want_pid) {
    clone_args args{};
    args.exit_signal = SIGCHLD;
    pid_t wanted = want_pid.value_or(0);
    if (want_pid) {
      args.set_tid = reinterpret_cast<uint64_t>(&wanted);
      args.set_tid_size = 1;
    }
    const long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid != 0) return static_cast<pid_t>(pid);  // the parent (or -1)
    std::vector<char*> raw;
    for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }

  void spawn() {
    const long seq = seq_++;
    const size_t image = static_cast<size_t>(pick(0, static_cast<long>(c_.images.size()) - 1));
    const Command c = command(seq, image);
    std::optional<pid_t> want = c_.reuse_every > 0 && seq % c_.reuse_every == c_.reuse_every - 1
                                    ? reusable_pid(image)
                                    : std::nullopt;
    pid_t pid = start_child(c.argv, want);
    const bool reused = want && pid == *want;
    if (want && pid < 0) {
      reuse_refused_++;
      pid = start_child(c.argv, std::nullopt);
    }
    if (pid < 0) {
      failed_++;
      return;
    }
    if (reused) reused_++;
    running_[pid] = Running{seq, c.last_image};
    pf_helper::emit_line(R"({"spawned":%ld,"pid":%d,"image":"%s","job":"%s","reused_pid":%s})", seq,
                         pid, c.argv[0].c_str(), c.first_job.c_str(), reused ? "true" : "false");
  }

  void reap(bool block) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
    if (pid <= 0) return;
    auto it = running_.find(pid);
    if (it == running_.end()) return;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code != 0) failed_++;
    pf_helper::emit_line(R"({"reaped":%ld,"pid":%d,"exit_code":%d})", it->second.seq, pid, code);
    // Free for reuse now; the next owner will run another image than this one ended on.
    freed_.emplace_back(pid, it->second.last_image);
    if (freed_.size() > 64) freed_.pop_front();
    running_.erase(it);
  }

  Config c_;
  std::mt19937 random_;
  long seq_ = 0, reused_ = 0, reuse_refused_ = 0, failed_ = 0;
  long next_udp_port_ = 0;
  std::map<pid_t, Running> running_;
  std::deque<std::pair<pid_t, size_t>> freed_;  // reaped pids, oldest first, with their image
};

int usage() {
  std::fprintf(stderr,
               "usage: churn_driver SECONDS PER_SECOND IN_FLIGHT SEED IMAGE_A,IMAGE_B,IMAGE_C\n"
               "       TCP_IP TCP_PORT CLOSED_PORT UDP_IP UDP_PORT UDP_PORT_FROM UDP_PORT_TO\n"
               "       REUSE_EVERY\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 14) return usage();
  Config c;
  c.seconds = pf_helper::parse_count(argv[1], "SECONDS");
  c.per_second = pf_helper::parse_count(argv[2], "PER_SECOND");
  c.in_flight = pf_helper::parse_count(argv[3], "IN_FLIGHT");
  c.seed = pf_helper::parse_count(argv[4], "SEED");
  c.images = split(argv[5], ',');
  c.tcp_ip = argv[6];
  c.tcp_port = argv[7];
  c.closed_port = argv[8];
  c.udp_ip = argv[9];
  c.udp_port = argv[10];
  c.udp_port_from = pf_helper::parse_count(argv[11], "UDP_PORT_FROM");
  c.udp_port_to = pf_helper::parse_count(argv[12], "UDP_PORT_TO");
  c.reuse_every = pf_helper::parse_count(argv[13], "REUSE_EVERY");
  if (c.per_second < 1 || c.in_flight < 1 || c.images.size() < 2 || c.udp_port_to < c.udp_port_from)
    return usage();
  return Churn(std::move(c)).run();
}
