// The in-VM suite of the kernel matrix (tests/vm/run-matrix.sh boots stock
// kernels under qemu and runs this as part of the guest's init).
//
// For each scenario (a --disable-hook list that forces one row of the attach
// plan), it
//   1. runs `procflow probe --json` and checks the plan: the forced rows, or,
//      with nothing disabled, the best hook of each need that the kernel's
//      version allows (kPreferred: fentry for connect, fexit or kretprobe for
//      accept, ...), so a verifier rejection on some kernel fails here;
//   2. runs `procflow trace --format json --interfaces lo` with the same list,
//      and checks, against the helper programs' own ground truth, on loopback:
//      - tcp4/tcp6: tcp_client -> prefork_server (2 workers): the client's flow
//        (exact pid, ppid, exe, image_path, uid, user, bytes both ways) and the
//        accepting worker's flow (its pid, not the listener's; bytes both ways),
//        and on both flows one `message` per direction with the first 512 bytes
//        each side sent, copied by the TC programs;
//      - quick: quick_connect x10, exits at once: exact pid/exe/image_path;
//      - refused4/refused6: a connect to a closed port ends with "reset";
//      - udp4/udp6: a connected UDP client and a server (forked copies of
//        vm_check), 3 datagrams each way: both flows' pid, exe, bytes,
//        datagram count, end_reason close; where the plan has udp=none (before
//        6.3), no UDP event at all;
//      - tls: tls_pair (OpenSSL 3) sends a request and gets a response over
//        TLS 1.3: where the plan has the TLS uprobes, both flows carry them as
//        tls_plaintext messages (exact content, the helper's pid);
//      - dns: a responder on 127.0.0.1:53 answers A vm-dns.test = 127.0.0.7,
//        the client's TCP connect to 127.0.0.7 carries dest_fqdn/dest_hostname;
//      - existing: a connection opened before procflow started is reported
//        (a start with "snapshot": true, the client's pid, its bytes so far)
//        and its end traced; without the socket iterator, not at all;
//      - clean stop: exit status 0 on SIGINT, every stdout line a JSON object;
//   3. where the connect hook sees both ports (fentry, kprobe), one more trace
//      with --port: connections to another port are left out in the kernel
//      (counted in the exit report) and never reported.
//
// Output, one line per check, for people and for run-matrix.sh:
//   PASS <scenario>/<check>: <what was verified>
//   FAIL <scenario>/<check>: <first failure>   (then indented details)
//   SKIP <scenario>/<check>: <reason>
//   @@PLAN <scenario> <procflow's plan summary>
//   @@SCENARIO <scenario> PASS|FAIL passed=N failed=N skipped=N seconds=S
// Exit status: 0 when every check passed, 1 otherwise, 2 on a usage error.
//
// Plain C++20 and RapidJSON only: no procflow code, so a bug shared by
// procflow and its tests cannot hide here, and the binary stays small.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <rapidjson/document.h>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Flat JSON objects, one per line (procflow's events, the helpers' accounts).

class Json {
 public:
  static std::optional<Json> parse(const std::string& line) {
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    Json out;
    out.raw_ = line;
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      const auto& v = it->value;
      Value value;
      if (v.IsBool()) {
        value = v.GetBool();
      } else if (v.IsInt64()) {
        value = v.GetInt64();
      } else if (v.IsUint64()) {
        value = static_cast<double>(v.GetUint64());
      } else if (v.IsNumber()) {
        value = v.GetDouble();
      } else if (v.IsString()) {
        value = std::string(v.GetString(), v.GetStringLength());
      } else if (!v.IsNull()) {
        value = std::string("(nested)");
      }
      out.fields_[it->name.GetString()] = std::move(value);
    }
    return out;
  }

  const std::string& raw() const { return raw_; }
  bool has(const std::string& key) const { return fields_.count(key) != 0; }
  std::optional<std::string> str(const std::string& key) const { return get<std::string>(key); }
  std::optional<int64_t> integer(const std::string& key) const { return get<int64_t>(key); }
  std::optional<bool> boolean(const std::string& key) const { return get<bool>(key); }
  // The value as text, for messages: "(missing)" when absent.
  std::string text(const std::string& key) const {
    auto it = fields_.find(key);
    if (it == fields_.end()) return "(missing)";
    const Value& v = it->second;
    if (auto s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
    if (auto i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    if (auto b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    if (auto d = std::get_if<double>(&v)) return std::to_string(*d);
    return "null";
  }

 private:
  using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;
  template <typename T>
  std::optional<T> get(const std::string& key) const {
    auto it = fields_.find(key);
    if (it == fields_.end()) return std::nullopt;
    if (auto p = std::get_if<T>(&it->second)) return *p;
    return std::nullopt;
  }
  std::string raw_;
  std::map<std::string, Value> fields_;
};

// ---------------------------------------------------------------------------
// Waiting for a child and describing how it ended (shared by Child and Forked).

// Reaps pid into *status (the raw wait status; -1 if it was lost) within timeout;
// nullopt while it still runs.
std::optional<int> wait_child(pid_t pid, std::optional<int>& status, Clock::duration timeout) {
  auto deadline = Clock::now() + timeout;
  while (!status) {
    int raw = 0;
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (r == pid) {
      status = raw;
      break;
    }
    if (r < 0 && errno != EINTR) {
      status = -1;
      break;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return status;
}

// "exit 0", "exit 12", "killed by ...", "running".
std::string describe_status(const std::optional<int>& status) {
  if (!status) return "running";
  int st = *status;
  if (st == -1) return "lost";
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return std::string("killed by ") + strsignal(WTERMSIG(st));
  return "status " + std::to_string(st);
}

// ---------------------------------------------------------------------------
// Child processes with their stdout and stderr collected line by line.

class Child {
 public:
  // Starts argv[0] (a path) with stdin from /dev/null; nullptr on failure.
  static std::unique_ptr<Child> spawn(const std::vector<std::string>& argv) {
    auto child = std::unique_ptr<Child>(new Child());
    child->argv_ = argv;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return nullptr;
    if (pipe2(err, O_CLOEXEC) != 0) {
      close(out[0]);
      close(out[1]);
      return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&child->pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
      close(out[0]);
      close(err[0]);
      std::fprintf(stderr, "vm_check: cannot start %s: %s\n", argv[0].c_str(), std::strerror(rc));
      return nullptr;
    }
    child->readers_.emplace_back([c = child.get(), fd = out[0]] { c->read_lines(fd, c->out_); });
    child->readers_.emplace_back([c = child.get(), fd = err[0]] { c->read_lines(fd, c->err_); });
    return child;
  }

  ~Child() {
    if (!status_) {
      kill(pid_, SIGKILL);
      wait_exit(5s);
    }
    for (auto& t : readers_) t.join();
  }

  pid_t pid() const { return pid_; }
  void signal(int sig) const { kill(pid_, sig); }

  std::vector<std::string> out() const {
    std::lock_guard lock(mutex_);
    return out_;
  }
  std::vector<std::string> err() const {
    std::lock_guard lock(mutex_);
    return err_;
  }

  // Waits for a stdout line that is a JSON object satisfying `pred`.
  std::optional<Json> wait_json(const std::function<bool(const Json&)>& pred,
                                Clock::duration timeout) const {
    std::unique_lock lock(mutex_);
    size_t seen = 0;
    auto deadline = Clock::now() + timeout;
    for (;;) {
      for (; seen < out_.size(); ++seen) {
        auto json = Json::parse(out_[seen]);
        if (json && pred(*json)) return json;
      }
      if (out_eof_) return std::nullopt;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && seen == out_.size())
        return std::nullopt;
    }
  }

  // Waits for a stderr line containing `needle`; returns it.
  std::optional<std::string> wait_stderr(const std::string& needle, Clock::duration timeout) const {
    std::unique_lock lock(mutex_);
    size_t seen = 0;
    auto deadline = Clock::now() + timeout;
    for (;;) {
      for (; seen < err_.size(); ++seen) {
        if (err_[seen].find(needle) != std::string::npos) return err_[seen];
      }
      if (err_eof_) return std::nullopt;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && seen == err_.size())
        return std::nullopt;
    }
  }

  // Waits until both pipes reached end of file (the child and its children
  // closed them), so out() and err() are complete.
  bool wait_eof(Clock::duration timeout) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return out_eof_ && err_eof_; });
  }

  // The raw wait status once the child exited; nullopt if it still runs.
  std::optional<int> wait_exit(Clock::duration timeout) {
    return wait_child(pid_, status_, timeout);
  }

  // Command line, exit status and everything printed, for failure details.
  std::string describe(bool with_stdout = true) const {
    std::string s = "    $";
    for (const auto& a : argv_) s += " " + a;
    s += "\n    pid " + std::to_string(pid_) + ", " + status_text() + "\n";
    std::lock_guard lock(mutex_);
    if (with_stdout)
      for (const auto& l : out_) s += "    stdout| " + l + "\n";
    for (const auto& l : err_) s += "    stderr| " + l + "\n";
    return s;
  }

  std::string status_text() const { return describe_status(status_); }

 private:
  Child() = default;

  void read_lines(int fd, std::vector<std::string>& lines) {
    std::string partial;
    char buf[8192];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      partial.append(buf, static_cast<size_t>(n));
      size_t start = 0, nl;
      std::lock_guard lock(mutex_);
      while ((nl = partial.find('\n', start)) != std::string::npos) {
        lines.push_back(partial.substr(start, nl - start));
        start = nl + 1;
      }
      partial.erase(0, start);
      cv_.notify_all();
    }
    close(fd);
    std::lock_guard lock(mutex_);
    if (!partial.empty()) lines.push_back(partial);
    (&lines == &out_ ? out_eof_ : err_eof_) = true;
    cv_.notify_all();
  }

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<std::string> out_, err_;
  bool out_eof_ = false, err_eof_ = false;
  std::vector<std::thread> readers_;
};

// ---------------------------------------------------------------------------
// Small value helpers.

bool same_ip(const std::string& a, const std::string& b) {
  unsigned char x[16] = {}, y[16] = {};
  if (inet_pton(AF_INET, a.c_str(), x) == 1)
    return inet_pton(AF_INET, b.c_str(), y) == 1 && std::memcmp(x, y, 4) == 0;
  if (inet_pton(AF_INET6, a.c_str(), x) == 1)
    return inet_pton(AF_INET6, b.c_str(), y) == 1 && std::memcmp(x, y, 16) == 0;
  return false;
}

// Microseconds since the epoch of an RFC 3339 time, e.g. 2025-05-20T10:00:00.123456Z.
std::optional<int64_t> rfc3339_us(const std::string& t) {
  int Y, M, D, h, m, s, used = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &s, &used) !=
          6 ||
      used != 19)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  int64_t us = static_cast<int64_t>(timegm(&tm)) * 1000000;
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    std::string frac;
    for (++i; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) frac += t[i];
    if (frac.empty()) return std::nullopt;
    frac.resize(6, '0');
    us += std::stoll(frac.substr(0, 6));
  }
  std::string zone = t.substr(i);
  if (zone == "Z" || zone == "z") return us;
  int zh, zm;
  char sign;
  if (zone.size() == 6 && std::sscanf(zone.c_str(), "%c%2d:%2d", &sign, &zh, &zm) == 3 &&
      (sign == '+' || sign == '-')) {
    int64_t off = (zh * 60 + zm) * 60 * int64_t{1000000};
    return sign == '+' ? us - off : us + off;
  }
  return std::nullopt;
}

std::set<std::string> split_flags(const std::string& text) {
  std::set<std::string> flags;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == ' ' || c == '|') {
      if (!cur.empty()) flags.insert(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return flags;
}

std::string short_hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  std::string host(name);
  return host.substr(0, host.find('.'));
}

// ---------------------------------------------------------------------------
// Checks and the report.

struct Check {
  explicit Check(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<std::string> failures;
  std::string details;  // printed under a failure

  void fail(const std::string& msg) {
    if (std::find(failures.begin(), failures.end(), msg) == failures.end()) failures.push_back(msg);
  }
  bool ok() const { return failures.empty(); }
};

class Report {
 public:
  explicit Report(std::string scenario) : scenario_(std::move(scenario)) {}

  // Prints PASS/FAIL for `check`; `what` says what a pass verified.
  void finish(const Check& check, const std::string& what) {
    if (check.ok()) {
      ++passed_;
      std::printf("PASS %s/%s: %s\n", scenario_.c_str(), check.name.c_str(), what.c_str());
    } else {
      ++failed_;
      std::printf("FAIL %s/%s: %s\n", scenario_.c_str(), check.name.c_str(),
                  check.failures.front().c_str());
      for (size_t i = 1; i < check.failures.size(); ++i)
        std::printf("    - %s\n", check.failures[i].c_str());
      if (!check.details.empty()) std::printf("%s", check.details.c_str());
    }
    std::fflush(stdout);
  }
  void skip(const std::string& name, const std::string& reason) {
    ++skipped_;
    std::printf("SKIP %s/%s: %s\n", scenario_.c_str(), name.c_str(), reason.c_str());
    std::fflush(stdout);
  }
  void note(const std::string& text) {
    std::printf("NOTE %s: %s\n", scenario_.c_str(), text.c_str());
    std::fflush(stdout);
  }
  int failed() const { return failed_; }
  std::string counts() const {
    return "passed=" + std::to_string(passed_) + " failed=" + std::to_string(failed_) +
           " skipped=" + std::to_string(skipped_);
  }

 private:
  std::string scenario_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
};

// ---------------------------------------------------------------------------
// What a flow must look like.

struct Selector {
  std::string src_ip;
  int64_t src_port;
  std::string dest_ip;
  int64_t dest_port;
  bool initiated;

  bool matches(const Json& e) const {
    return e.str("object") == std::optional<std::string>("flow") &&
           e.integer("src_port") == src_port && e.integer("dest_port") == dest_port &&
           e.boolean("initiated") == initiated && same_ip(e.str("src_ip").value_or(""), src_ip) &&
           same_ip(e.str("dest_ip").value_or(""), dest_ip);
  }
  std::string describe() const {
    return std::string(initiated ? "initiated" : "accepted") + " flow " + src_ip + ":" +
           std::to_string(src_port) + " -> " + dest_ip + ":" + std::to_string(dest_port);
  }
};

struct Process {
  int64_t pid = -1;
  int64_t ppid = -1;
  std::string exe;
  std::string image_path;
  std::string role;  // "client", "worker", ... for messages

  std::string pid_text() const { return std::to_string(pid); }
};

struct ExpectedFlow {
  Process process;
  bool process_on_start = true;  // the start event must name the process
  std::optional<int64_t> in_bytes, out_bytes;
  std::string end_reason;
  std::set<std::string> flags;
  std::string transport = "TCP";
  std::optional<int64_t> packet_count;  // exact (UDP: datagrams); else > 0
  // The content of its one `message` event per direction (--messages first), copied by the TC
  // programs: what the local socket sent / received first; unset: not checked.
  std::optional<std::string> out_content, in_content;
  std::string content_source = "wire";  // of the messages checked
};

// 'a'..'z' repeated: what pf_helper::send_pattern sends, cut to the bytes a turn's message
// holds (--content-bytes' default). Printable, so content shows it unescaped.
constexpr size_t kMessageBytes = 512;
std::string pattern_content(int64_t sent) {
  std::string s;
  for (size_t i = 0; i < std::min<size_t>(kMessageBytes, static_cast<size_t>(sent)); ++i)
    s += static_cast<char>('a' + i % 26);
  return s;
}

void expect_messages(Check& c, const std::vector<const Json*>& events, const ExpectedFlow& want,
                     const std::string& what) {
  for (const auto& [direction, content] :
       {std::pair{"out", want.out_content}, std::pair{"in", want.in_content}}) {
    if (!content) continue;
    std::vector<const Json*> messages;
    for (const Json* e : events)
      if (e->str("action") == std::optional<std::string>("message") &&
          e->str("message_direction") == std::optional<std::string>(direction) &&
          e->str("content_source") == want.content_source)
        messages.push_back(e);
    const std::string where = what + " " + want.content_source + " message " + direction;
    if (messages.size() != 1) {
      c.fail(where + ": " + std::to_string(messages.size()) + " events, expected 1");
      continue;
    }
    const Json& m = *messages.front();
    if (m.str("content") != content)
      c.fail(where + ": content is " + m.text("content") + ", expected \"" + *content + "\"");
  }
}

void expect_process(Check& c, const Json& e, const Process& p, bool required,
                    const std::string& where) {
  auto field_int = [&](const char* key, int64_t want) {
    if (!e.has(key)) {
      if (required)
        c.fail(where + ": \"" + key + "\" missing, expected " + std::to_string(want) + " (" +
               p.role + ")");
      return;
    }
    if (e.integer(key) != want)
      c.fail(where + ": \"" + key + "\" is " + e.text(key) + ", expected " + std::to_string(want) +
             " (" + p.role + ")");
  };
  auto field_str = [&](const char* key, const std::string& want) {
    if (!e.has(key)) {
      if (required) c.fail(where + ": \"" + key + "\" missing, expected \"" + want + "\"");
      return;
    }
    if (e.str(key) != want)
      c.fail(where + ": \"" + key + "\" is " + e.text(key) + ", expected \"" + want + "\"");
  };
  field_int("pid", p.pid);
  if (p.ppid >= 0) field_int("ppid", p.ppid);
  field_str("exe", p.exe);
  field_str("image_path", p.image_path);
  field_int("uid", 0);
  field_str("user", "root");
}

// Every event of the flow, as in tests/integration/flow_assertions.cpp.
void expect_flow(Check& c, const std::vector<Json>& events, const Selector& sel,
                 const ExpectedFlow& want, std::string* community_id) {
  std::vector<const Json*> starts, ends, all;
  for (const auto& e : events) {
    if (!sel.matches(e)) continue;
    all.push_back(&e);
    auto action = e.str("action").value_or("");
    if (action == "start")
      starts.push_back(&e);
    else if (action == "end")
      ends.push_back(&e);
    else if (action != "message")
      c.fail("unknown action " + e.text("action") + ": " + e.raw());
  }
  const std::string what = sel.describe();
  if (starts.size() != 1 || ends.size() != 1) {
    c.fail(what + ": " + std::to_string(starts.size()) + " start and " +
           std::to_string(ends.size()) + " end events, expected 1 and 1");
    if (ends.empty()) return;
  }
  for (const Json* e : all) {
    if (e->str("transport_protocol") != want.transport)
      c.fail(what + ": transport_protocol is " + e->text("transport_protocol"));
    if (!rfc3339_us(e->str("timestamp").value_or("")))
      c.fail(what + ": timestamp is not RFC 3339: " + e->text("timestamp"));
    expect_process(c, *e, want.process, false, what + " " + e->str("action").value_or("?"));
  }
  expect_messages(c, all, want, what);
  const Json& end = *ends.front();
  if (!starts.empty())
    expect_process(c, *starts.front(), want.process, want.process_on_start, what + " start");
  expect_process(c, end, want.process, true, what + " end");

  auto bytes = [&](const char* key, const std::optional<int64_t>& expected) {
    if (!expected) return;
    if (end.integer(key) != *expected)
      c.fail(what + " end: \"" + key + "\" is " + end.text(key) + ", expected " +
             std::to_string(*expected));
  };
  bytes("in_bytes", want.in_bytes);
  bytes("out_bytes", want.out_bytes);
  if (end.str("end_reason") != want.end_reason)
    c.fail(what + " end: end_reason is " + end.text("end_reason") + ", expected \"" +
           want.end_reason + "\"");
  auto flags = split_flags(end.str("tcp_flags").value_or(""));
  for (const auto& f : want.flags)
    if (!flags.count(f)) c.fail(what + " end: tcp_flags " + end.text("tcp_flags") + " lacks " + f);
  if (want.packet_count) {
    if (end.integer("packet_count") != *want.packet_count)
      c.fail(what + " end: packet_count is " + end.text("packet_count") + ", expected " +
             std::to_string(*want.packet_count));
  } else if (end.integer("packet_count").value_or(0) <= 0)
    c.fail(what + " end: packet_count is " + end.text("packet_count") + ", expected > 0");

  auto st = rfc3339_us(end.str("start_time").value_or(""));
  auto et = rfc3339_us(end.str("end_time").value_or(""));
  if (!st || !et)
    c.fail(what + " end: start_time/end_time missing or not RFC 3339");
  else if (*st > *et)
    c.fail(what + " end: start_time after end_time");
  if (!starts.empty() && st && rfc3339_us(starts.front()->str("start_time").value_or("")) != st)
    c.fail(what + ": start_time differs between start and end events");

  auto cid = end.str("community_id").value_or("");
  if (cid.empty()) c.fail(what + " end: community_id missing");
  if (!starts.empty() && starts.front()->str("community_id") != end.str("community_id"))
    c.fail(what + ": community_id differs between start and end");
  if (end.str("network_direction") != std::optional<std::string>("internal"))
    c.fail(what + " end: network_direction is " + end.text("network_direction") +
           ", expected \"internal\" (loopback)");
  if (end.str("hostname") != short_hostname())
    c.fail(what + " end: hostname is " + end.text("hostname") + ", expected \"" + short_hostname() +
           "\"");
  if (community_id) *community_id = cid;
}

std::string events_of(const std::vector<Json>& events, const std::vector<Selector>& sels) {
  std::string out;
  for (const auto& e : events) {
    bool related = false;
    for (const auto& s : sels) {
      for (const char* key : {"src_port", "dest_port"}) {
        auto port = e.integer(key);
        related |= port && (*port == s.src_port || *port == s.dest_port);
      }
    }
    if (related) out += "    event| " + e.raw() + "\n";
  }
  return out.empty() ? "    (no procflow event with these ports)\n" : out;
}

// ---------------------------------------------------------------------------
// The programs under test.

struct Paths {
  std::string procflow;
  std::string helpers;  // folder of tcp_client, prefork_server, quick_connect

  std::string helper(const std::string& name) const { return helpers + "/" + name; }
  // What procflow must report as image_path / exe for a helper.
  std::string image_path(const std::string& name) const {
    std::error_code ec;
    auto p = std::filesystem::canonical(helper(name), ec);
    return ec ? helper(name) : p.string();
  }
  std::string exe(const std::string& name) const {
    return std::filesystem::path(image_path(name)).filename().string();
  }
  // vm_check itself (the UDP and DNS checks fork it).
  std::string self_image_path() const {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? "vm_check" : p.string();
  }
  std::string self_exe() const {
    return std::filesystem::path(self_image_path()).filename().string();
  }
};

// `procflow trace --format json`, its events parsed as they come.
class Trace {
 public:
  explicit Trace(std::unique_ptr<Child> child) : child_(std::move(child)) {}
  Child& child() { return *child_; }

  const std::vector<Json>& events() {
    auto lines = child_->out();
    for (; parsed_ < lines.size(); ++parsed_) {
      if (auto j = Json::parse(lines[parsed_]))
        events_.push_back(std::move(*j));
      else
        malformed_.push_back(lines[parsed_]);
    }
    return events_;
  }
  const std::vector<std::string>& malformed() {
    events();
    return malformed_;
  }
  // Waits until every selector has an end event.
  bool wait_ends(const std::vector<Selector>& sels, Clock::duration timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto& ev = events();
      bool all = true;
      for (const auto& s : sels) {
        bool found = false;
        for (const auto& e : ev)
          found |= s.matches(e) && e.str("action") == std::optional<std::string>("end");
        all &= found;
      }
      if (all) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(25ms);
    }
  }

 private:
  std::unique_ptr<Child> child_;
  size_t parsed_ = 0;
  std::vector<Json> events_;
  std::vector<std::string> malformed_;
};

struct Server {
  std::unique_ptr<Child> child;
  int64_t parent_pid = 0;
  int64_t port = 0;
  std::string ip;
};

// The timeouts are generous: everything runs 7-13x slower under emulation.
constexpr auto kStartTimeout = 60s;  // probe: 2-6 s, trace start: 1.5-3 s
constexpr auto kHelperTimeout = 30s;
constexpr auto kEndTimeout = 20s;
constexpr int64_t kClientBytes = 1000;
constexpr int64_t kServerBytes = 5000;
constexpr int kQuickRuns = 10;
constexpr int64_t kClosedPort = 9;  // nothing listens there in the guest

std::optional<Server> start_server(const Paths& paths, const std::string& ip, int reply_bytes,
                                   std::string* error) {
  Server s;
  s.ip = ip;
  s.child =
      Child::spawn({paths.helper("prefork_server"), ip, "0", "2", std::to_string(reply_bytes)});
  if (!s.child) {
    *error = "cannot start prefork_server";
    return std::nullopt;
  }
  auto listening =
      s.child->wait_json([](const Json& j) { return j.has("listening"); }, kHelperTimeout);
  if (!listening) {
    *error = "prefork_server on " + ip + " never listened\n" + s.child->describe();
    return std::nullopt;
  }
  s.parent_pid = listening->integer("pid").value_or(0);
  s.port = listening->integer("port").value_or(0);
  return s;
}

// Runs a helper to its end; its JSON line, or nullopt (with details in `c`).
std::optional<Json> run_helper(Check& c, const std::vector<std::string>& argv,
                               std::unique_ptr<Child>* keep = nullptr) {
  auto child = Child::spawn(argv);
  if (!child) {
    c.fail("cannot start " + argv[0]);
    return std::nullopt;
  }
  auto status = child->wait_exit(kHelperTimeout);
  auto truth = child->wait_json([](const Json& j) { return j.has("pid"); }, 2s);
  if (!status) c.fail(argv[0] + " still running after 30 s");
  if (!truth) {
    c.fail(argv[0] + " printed no ground truth");
    c.details += child->describe();
  }
  if (keep) *keep = std::move(child);
  return truth;
}

// ---------------------------------------------------------------------------
// The UDP and DNS checks play both sides themselves: forked copies of
// vm_check (so procflow must name exe "vm_check" and each copy's own pid).
// vm_check has threads, so a forked copy uses plain system calls only and
// reports to the parent through a pipe, in fixed-size messages.

struct Msg {
  int64_t v[8] = {};
};

class Forked {
 public:
  // Runs body(fd) in a child, fd = the write end of its message pipe; the
  // child exits with body's return value.
  static std::unique_ptr<Forked> start(const std::function<int(int)>& body) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return nullptr;
    pid_t pid = fork();
    if (pid < 0) {
      close(p[0]);
      close(p[1]);
      return nullptr;
    }
    if (pid == 0) {
      close(p[0]);
      _exit(body(p[1]));
    }
    close(p[1]);
    auto f = std::unique_ptr<Forked>(new Forked());
    f->pid_ = pid;
    f->fd_ = p[0];
    return f;
  }
  ~Forked() {
    if (!status_) {
      kill(pid_, SIGKILL);
      wait_exit(5s);
    }
    close(fd_);
  }

  pid_t pid() const { return pid_; }

  // The next message; nullopt on a timeout or when the child closed the pipe.
  std::optional<Msg> read_msg(Clock::duration timeout) {
    Msg m;
    size_t got = 0;
    auto deadline = Clock::now() + timeout;
    while (got < sizeof m) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{fd_, POLLIN, 0};
      int r = poll(&pfd, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      ssize_t n = read(fd_, reinterpret_cast<char*>(&m) + got, sizeof m - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      got += static_cast<size_t>(n);
    }
    return m;
  }

  std::optional<int> wait_exit(Clock::duration timeout) {
    return wait_child(pid_, status_, timeout);
  }

  // "exit 0", "exit 12", "killed by ...", "running".
  std::string status_text() const { return describe_status(status_); }

 private:
  Forked() = default;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::optional<int> status_;
};

// For the forked side: no allocation, plain system calls.
bool send_msg(int fd, const Msg& m) {
  return write(fd, &m, sizeof m) == static_cast<ssize_t>(sizeof m);
}

socklen_t make_addr(const char* ip, int port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in6);
  }
  return 0;
}

int64_t port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

int64_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return port_of(ss);
}

// No forked side may hang: every blocking call gives up after `seconds`.
void set_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A bound socket (port 0: any), or -1.
int bound_socket(const char* ip, int port, int type) {
  sockaddr_storage a;
  socklen_t len = make_addr(ip, port, &a);
  if (len == 0) return -1;
  int s = socket(a.ss_family, type | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0) {
    close(s);
    return -1;
  }
  set_timeouts(s, 30);
  return s;
}

// A socket connected to ip:port, or -1.
int connected_socket(const char* ip, int port, int type) {
  sockaddr_storage a;
  socklen_t len = make_addr(ip, port, &a);
  if (len == 0) return -1;
  int s = socket(a.ss_family, type | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  set_timeouts(s, 30);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), len) != 0) {
    close(s);
    return -1;
  }
  return s;
}

// UDP: the client sends these, the server answers each with kUdpReplyFactor
// times its size.
constexpr int64_t kUdpSizes[] = {10, 200, 1400};
constexpr int kUdpDatagrams = 3;
constexpr int64_t kUdpReplyFactor = 3;

// DNS: the name the responder answers, and with what.
constexpr const char* kDnsName = "vm-dns.test";
constexpr const char* kDnsHost = "vm-dns";
constexpr const char* kDnsAddress = "127.0.0.7";
constexpr int kDnsPort = 53;  // TC takes responses from 53, 5353, 5355 only
constexpr int64_t kDnsTcpBytes = 100;

// ---------------------------------------------------------------------------
// Scenarios: one per row of the attach plan to force.

struct Scenario {
  std::string name;
  std::string disable;  // --disable-hook, "" for none
  // need -> the hook the plan must choose; for "preferred" (empty), the
  // expectation comes from the kernel version (kPreferred).
  std::map<std::string, std::string> forced;
  bool accept_by_listener = false;  // accept=listener: the documented cost
};

const std::vector<Scenario> kScenarios = {
    {"preferred", "", {}, false},
    // syscall_tp ranks above kretprobe for accept (kretprobe instances are
    // limited), so it is disabled too to reach the kretprobe row.
    {"kprobe", "fentry,fexit,syscall_tp", {{"connect", "kprobe"}, {"accept", "kretprobe"}}, false},
    {"tracepoint",
     "fentry,fexit,kprobe,kretprobe,tp_btf",
     {{"connect", "state_transition"},
      {"accept", "syscall_tp"},
      {"exec", "tracepoint"},
      {"fork", "tracepoint"},
      {"exit", "tracepoint"},
      {"tcp_state", "tracepoint"}},
     false},
    {"sock_length",
     "fentry,fexit,kprobe,kretprobe,syscall_tp",
     {{"connect", "state_transition"}, {"accept", "sock_length"}},
     false},
    {"listener",
     "fentry,fexit,kprobe,kretprobe,syscall_tp,sock_length",
     {{"connect", "state_transition"}, {"accept", "listener"}},
     true},
};

// The plan a stock kernel must get with nothing disabled: per need, the first
// hook whose kernel version (major * 100 + minor) the kernel reaches, from
// docs/attach-plan.md. A preferred hook missing on a kernel that has it is a
// procflow bug (a verifier rejection, a CO-RE relocation, ...), not a fallback
// to accept quietly. Needs not listed here (newer ones) are not checked.
const std::vector<std::pair<std::string, std::vector<std::pair<int, std::string>>>> kPreferred = {
    {"exec", {{505, "tp_btf"}, {0, "tracepoint"}}},
    {"fork", {{505, "tp_btf"}, {0, "tracepoint"}}},
    {"exit", {{505, "tp_btf"}, {0, "tracepoint"}}},
    {"tcp_state", {{505, "tp_btf"}, {0, "tracepoint"}}},
    {"connect", {{505, "fentry"}, {0, "kprobe"}}},           // BPF trampolines: 5.5
    {"accept", {{517, "fexit"}, {0, "syscall_tp"}}},         // bpf_get_func_ret: 5.17
    {"socket_use", {{603, "sock_length"}, {0, "none"}}},     // sock_{send,recv}_length: 6.3
    {"packets", {{606, "tcx"}, {0, "clsact"}}},              // tcx: 6.6
    {"open_flow_counters", {{513, "raw_tp"}, {0, "none"}}},  // bpf_for_each_map_elem: 5.13
    {"tcp_reset", {{505, "tp_btf"}, {0, "tracepoint"}}},
    {"existing_sockets", {{509, "bpf_iter"}, {0, "none"}}},  // iter/tcp: 5.9
    {"udp", {{603, "sock_length"}, {0, "none"}}},            // sock_{send,recv}_length: 6.3
    // The UDP peer and release hooks only attach where datagrams are counted.
    {"udp_peers", {{603, "cgroup_sock_addr"}, {0, "none"}}},
    {"udp_release", {{603, "cgroup_sock"}, {0, "none"}}},
    // The guest has Debian's libssl.so.3 (procflow links it) and uprobes. The
    // TLS uprobes learn each call's socket from sock_{send,recv}_length: left
    // out before 6.3, but probed (loaded, attached) there too.
    {"tls_plaintext", {{603, "tls_uprobe"}, {0, "none"}}},
    {"tls_handshake", {{603, "tls_uprobe"}, {0, "none"}}},
};
// Needs whose candidates must all load and attach on every kernel, even where
// the plan leaves them out.
const std::vector<std::string> kProbedEverywhere = {"tls_plaintext", "tls_handshake"};

// 6.12.117+deb12-cloud-amd64 -> 612.
int kernel_version(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return 0;
  return major * 100 + minor;
}

struct PlanInfo {
  std::map<std::string, std::string> hook;                      // need -> hook ("none")
  std::map<std::string, std::vector<std::string>> unavailable;  // need -> "point: error"
  std::map<std::string, bool> features;
  std::string kernel;
  std::string summary;
};

std::optional<PlanInfo> parse_probe(const std::string& text, std::string* error) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("plan") || !doc["plan"].IsArray()) {
    *error = "probe --json did not print the expected JSON object";
    return std::nullopt;
  }
  PlanInfo info;
  if (doc.HasMember("summary") && doc["summary"].IsString())
    info.summary = doc["summary"].GetString();
  if (doc.HasMember("kernel") && doc["kernel"].IsString()) info.kernel = doc["kernel"].GetString();
  if (doc.HasMember("features") && doc["features"].IsObject()) {
    for (auto it = doc["features"].MemberBegin(); it != doc["features"].MemberEnd(); ++it)
      if (it->value.IsBool()) info.features[it->name.GetString()] = it->value.GetBool();
  }
  for (const auto& need : doc["plan"].GetArray()) {
    if (!need.IsObject() || !need.HasMember("need") || !need["need"].IsString()) continue;
    std::string name = need["need"].GetString();
    info.hook[name] =
        need.HasMember("hook") && need["hook"].IsString() ? need["hook"].GetString() : "none";
    if (need.HasMember("unavailable") && need["unavailable"].IsArray()) {
      for (const auto& u : need["unavailable"].GetArray()) {
        if (!u.IsObject()) continue;
        std::string point = u.HasMember("attach_point") && u["attach_point"].IsString()
                                ? u["attach_point"].GetString()
                                : "?";
        std::string err =
            u.HasMember("error") && u["error"].IsString() ? u["error"].GetString() : "?";
        info.unavailable[name].push_back(point + ": " + err);
      }
    }
  }
  return info;
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& s, const Paths& paths) : s_(s), paths_(paths), report_(s.name) {}

  int run() {
    auto t0 = Clock::now();
    std::printf("== scenario %s: --disable-hook %s ==\n", s_.name.c_str(),
                s_.disable.empty() ? "(none)" : s_.disable.c_str());
    std::fflush(stdout);
    bool planned = check_probe();
    if (planned) {
      open_before_start();
      if (start_trace()) {
        check_existing();
        traffic_checks();
        stop_trace();
      }
      if (connect_sees_ports()) check_port_filter();
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("@@SCENARIO %s %s %s seconds=%.1f\n", s_.name.c_str(),
                report_.failed() ? "FAIL" : "PASS", report_.counts().c_str(), secs);
    std::fflush(stdout);
    return report_.failed() ? 1 : 0;
  }

 private:
  std::vector<std::string> hook_args() const {
    if (s_.disable.empty()) return {};
    return {"--disable-hook", s_.disable};
  }

  // need -> the hook the plan must choose in this scenario on this kernel.
  std::map<std::string, std::string> expected_plan() const {
    if (!s_.forced.empty()) return s_.forced;
    std::map<std::string, std::string> want;
    int version = kernel_version(plan_.kernel);
    for (const auto& [need, choices] : kPreferred) {
      for (const auto& [since, hook] : choices) {
        if (version >= since) {
          want[need] = hook;
          break;
        }
      }
    }
    return want;
  }

  bool check_probe() {
    Check c{"probe"};
    std::vector<std::string> argv = {paths_.procflow, "probe", "--json"};
    for (auto& a : hook_args()) argv.push_back(a);
    auto child = Child::spawn(argv);
    if (!child) {
      c.fail("cannot start procflow");
      report_.finish(c, "");
      return false;
    }
    auto t0 = Clock::now();
    auto status = child->wait_exit(kStartTimeout);
    probe_seconds_ = std::chrono::duration<double>(Clock::now() - t0).count();
    child->wait_eof(5s);
    std::string text;
    for (const auto& l : child->out()) text += l + "\n";
    std::string error;
    auto info = status ? parse_probe(text, &error) : std::nullopt;
    if (!status)
      error = "procflow probe still running after " + std::to_string(kStartTimeout.count()) + " s";
    if (!info) {
      c.fail(error);
      c.details = child->describe();
      report_.finish(c, "");
      return false;
    }
    plan_ = *info;
    std::printf("@@PLAN %s %s\n", s_.name.c_str(), plan_.summary.c_str());
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
      c.fail("procflow probe ended with " + child->status_text());

    const auto want = expected_plan();
    std::string verified;
    for (const auto& [need, hook] : want) {
      auto it = plan_.hook.find(need);
      std::string got = it == plan_.hook.end() ? "(absent)" : it->second;
      if (got != hook) {
        c.fail(need + " chose " + got + ", expected " + hook);
        for (const auto& u : plan_.unavailable[need]) c.fail("  " + need + " unavailable: " + u);
      }
      verified += (verified.empty() ? "" : ", ") + need + "=" + got;
    }
    for (const auto& need : kProbedEverywhere)
      for (const auto& u : plan_.unavailable[need]) c.fail(need + " unavailable: " + u);
    if (s_.forced.empty()) {
      // What this kernel could not do, with procflow's reason.
      for (const auto& [need, list] : plan_.unavailable)
        for (const auto& u : list) report_.note(need + " candidate unavailable: " + u);
    }
    if (!c.ok()) c.details = child->describe(false);
    char took[64];
    std::snprintf(took, sizeof took, " (probe took %.1f s)", probe_seconds_);
    report_.finish(c,
                   verified + (s_.forced.empty() ? " as expected for " + plan_.kernel : "") + took);
    return plan_.hook["connect"] != "none";
  }

  bool start_trace() {
    Check c{"trace-start"};
    std::vector<std::string> argv = {paths_.procflow, "trace",        "--format",
                                     "json",          "--interfaces", "lo"};
    for (auto& a : hook_args()) argv.push_back(a);
    auto child = Child::spawn(argv);
    if (!child) {
      c.fail("cannot start procflow trace");
      report_.finish(c, "");
      return false;
    }
    auto t0 = Clock::now();
    auto started = child->wait_stderr("tracing started", kStartTimeout);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    trace_ = std::make_unique<Trace>(std::move(child));
    if (!started) {
      trace_->child().wait_exit(1s);
      c.fail("procflow trace did not log \"tracing started\" within " +
             std::to_string(kStartTimeout.count()) + " s");
      c.details = trace_->child().describe();
      report_.finish(c, "");
      trace_->child().signal(SIGKILL);
      return false;
    }
    // "tracing started (exec=...,...; interfaces: lo )": the same plan as probe's.
    auto open = started->find("tracing started (");
    std::string summary = started->substr(open + 17);
    summary = summary.substr(0, summary.find(';'));
    if (summary != plan_.summary)
      c.fail("trace chose " + summary + " but probe chose " + plan_.summary);
    char took[96];
    std::snprintf(took, sizeof took, "same plan as probe, started in %.1f s", secs);
    report_.finish(c, took);
    return true;
  }

  void traffic_checks() {
    std::string error;
    auto v4 = start_server(paths_, "127.0.0.1", kServerBytes, &error);
    if (!v4) return setup_failure("servers", error);
    auto v6 = start_server(paths_, "::1", kServerBytes, &error);
    if (!v6) return setup_failure("servers", error);
    auto quick = start_server(paths_, "127.0.0.1", 0, &error);
    if (!quick) return setup_failure("servers", error);

    check_exchange("tcp4", *v4);
    check_exchange("tcp6", *v6);
    check_quick(*quick);
    check_refused("refused4", "127.0.0.1");
    check_refused("refused6", "::1");
    check_udp("udp4", "127.0.0.1");
    check_udp("udp6", "::1");
    check_dns();
    check_tls();

    for (Server* s : {&*v4, &*v6, &*quick}) {
      s->child->signal(SIGTERM);
      s->child->wait_exit(10s);
    }
  }

  // A connection that is open before procflow starts: a server, and a
  // client that sent its bytes and holds the connection.
  void open_before_start() {
    std::string error;
    held_server_ = start_server(paths_, "127.0.0.1", 0, &error);
    if (!held_server_) return;
    held_client_ =
        Child::spawn({paths_.helper("tcp_client"), "127.0.0.1", std::to_string(held_server_->port),
                      std::to_string(kClientBytes), "--hold-ms", "120000"});
    if (held_client_)
      held_truth_ =
          held_client_->wait_json([](const Json& j) { return j.has("pid"); }, kHelperTimeout);
  }

  void check_existing() {
    Check c{"existing"};
    if (!held_server_ || !held_client_ || !held_truth_) {
      c.fail("the connection before the start could not be set up");
      return report_.finish(c, "");
    }
    const int64_t cport = held_truth_->integer("local_port").value_or(0);
    const int64_t pid = held_truth_->integer("pid").value_or(-1);
    Selector client{"127.0.0.1", cport, "127.0.0.1", held_server_->port, true};
    const bool walks = plan_.hook["existing_sockets"] == "bpf_iter";
    auto has_start = [&] {
      for (const auto& e : trace_->events())
        if (client.matches(e) && e.str("action") == std::optional<std::string>("start")) return &e;
      return static_cast<const Json*>(nullptr);
    };
    const auto deadline = Clock::now() + (walks ? kEndTimeout : 3s);
    while (!has_start() && Clock::now() < deadline) std::this_thread::sleep_for(25ms);
    const Json* start = has_start();
    if (!walks) {
      if (start) c.fail("a snapshot start without the socket iterator: " + start->raw());
      held_client_->signal(SIGTERM);
      held_client_->wait_exit(10s);
      return report_.finish(c, "no socket iterator: nothing reported, as documented");
    }
    if (!start) {
      c.fail("no start for the connection open before procflow started");
      c.details = events_of(trace_->events(), {client});
      return report_.finish(c, "");
    }
    if (start->boolean("snapshot") != std::optional<bool>(true))
      c.fail("not a snapshot: " + start->raw());
    if (start->integer("pid") != pid) c.fail("pid is not the client's: " + start->raw());
    if (start->integer("out_bytes") != kClientBytes) c.fail("bytes so far: " + start->raw());
    held_client_->signal(SIGTERM);
    held_client_->wait_exit(10s);
    if (!trace_->wait_ends({client}, kEndTimeout)) {
      c.fail("no end after the client went away");
    } else {
      for (const auto& e : trace_->events())
        if (client.matches(e) && e.str("action") == std::optional<std::string>("end") &&
            e.str("end_reason") == std::optional<std::string>("tracer_stop"))
          c.fail("ended as tracer_stop: its close was not traced");
    }
    if (!c.ok()) c.details = events_of(trace_->events(), {client});
    held_server_->child->signal(SIGTERM);
    held_server_->child->wait_exit(10s);
    report_.finish(c, "snapshot start with the client's pid " + std::to_string(pid) + " and " +
                          std::to_string(kClientBytes) + " bytes so far; its close traced");
  }

  // Whether this scenario's connect hook runs once the source port is
  // chosen (fentry, kprobe on tcp_connect), so --port decides connects in
  // the kernel; the SYN_SENT transition comes before it.
  bool connect_sees_ports() {
    const std::string hook = plan_.hook["connect"];
    return hook == "fentry" || hook == "kprobe";
  }

  // --port in the kernel, in a trace of its own that wants one server's port:
  // connections to another server are left out where they start, both the
  // connect and the accepted side, and the exit report counts them.
  void check_port_filter() {
    Check c{"port-filter"};
    std::string error;
    auto wanted = start_server(paths_, "127.0.0.1", kServerBytes, &error);
    auto other = wanted ? start_server(paths_, "127.0.0.1", kServerBytes, &error) : std::nullopt;
    if (!wanted || !other) return setup_failure("port-filter", error);
    std::vector<std::string> argv = {
        paths_.procflow, "trace", "--format", "json",
        "--interfaces",  "lo",    "--port",   std::to_string(wanted->port)};
    for (auto& a : hook_args()) argv.push_back(a);
    auto child = Child::spawn(argv);
    if (!child || !child->wait_stderr("tracing started", kStartTimeout)) {
      c.fail("procflow trace --port did not start");
      if (child) c.details = child->describe();
      if (child) child->signal(SIGKILL);
      return report_.finish(c, "");
    }
    Trace trace(std::move(child));
    constexpr int kUnwanted = 5;
    for (int i = 0; i < kUnwanted; i++)
      run_helper(c, {paths_.helper("tcp_client"), "127.0.0.1", std::to_string(other->port),
                     std::to_string(kClientBytes)});
    auto truth = run_helper(c, {paths_.helper("tcp_client"), "127.0.0.1",
                                std::to_string(wanted->port), std::to_string(kClientBytes)});
    if (truth) {
      Selector client{"127.0.0.1", truth->integer("local_port").value_or(0), "127.0.0.1",
                      wanted->port, true};
      if (!trace.wait_ends({client}, kEndTimeout)) c.fail("no end for the wanted connection");
    }
    trace.child().signal(SIGINT);
    trace.child().wait_exit(60s);
    trace.child().wait_eof(5s);
    for (const auto& e : trace.events())
      if (e.integer("src_port") == other->port || e.integer("dest_port") == other->port)
        c.fail("an unwanted flow was reported: " + e.raw());
    int64_t left_out = 0;
    const std::string words = " connections and datagrams left out in the kernel";
    for (const auto& line : trace.child().err()) {
      auto at = line.find(words);
      if (at == std::string::npos) continue;
      auto from = line.find_last_of(' ', at - 1);
      left_out = std::atoll(line.substr(from + 1, at - from - 1).c_str());
    }
    // Both sides of every unwanted connection; other traffic only adds.
    if (left_out < 2 * kUnwanted)
      c.fail("the kernel left out " + std::to_string(left_out) +
             " socket events, want >= " + std::to_string(2 * kUnwanted));
    if (!c.ok()) c.details += trace.child().describe();
    for (Server* s : {&*wanted, &*other}) {
      s->child->signal(SIGTERM);
      s->child->wait_exit(10s);
    }
    report_.finish(c, std::to_string(left_out) + " socket events left out in the kernel for " +
                          std::to_string(kUnwanted) + " unwanted connections; none reported");
  }

  void setup_failure(const std::string& name, const std::string& error) {
    Check c{name};
    c.fail(error);
    report_.finish(c, "");
  }

  Process client_process(const std::string& helper, int64_t pid) const {
    return {pid, getpid(), paths_.exe(helper), paths_.image_path(helper), helper};
  }

  // tcp_client -> prefork worker: both flows of the connection.
  // tls_pair: one TLS 1.3 request and response through OpenSSL. Where the plan has the TLS
  // uprobes, both flows carry the plaintext as tls_plaintext messages, attributed to the
  // helper's pid; without them, none.
  void check_tls() {
    Check c{"tls"};
    const bool traced = plan_.hook["tls_plaintext"] != "none";
    auto truth = run_helper(c, {paths_.helper("tls_pair")});
    if (!truth) return report_.finish(c, "");
    if (truth->has("error")) {
      c.fail("tls_pair failed: " + truth->raw());
      return report_.finish(c, "");
    }
    const int64_t cport = truth->integer("client_port").value_or(0);
    const int64_t sport = truth->integer("server_port").value_or(0);
    Selector client{"127.0.0.1", cport, "127.0.0.1", sport, true};
    Selector accepted{"127.0.0.1", cport, "127.0.0.1", sport, false};
    if (!trace_->wait_ends({client, accepted}, kEndTimeout))
      c.fail("no end event within 20 s for both flows");
    const auto& events = trace_->events();
    ExpectedFlow ce;
    ce.process = client_process("tls_pair", truth->integer("pid").value_or(-1));
    ce.end_reason = "close";
    ce.flags = {"SYN", "ACK", "FIN"};
    ce.content_source = "tls_plaintext";
    ExpectedFlow se = ce;
    se.process.role = "TLS server thread";
    se.process_on_start = false;
    if (traced) {
      ce.out_content = se.in_content = truth->str("request");
      ce.in_content = se.out_content = truth->str("response");
    }
    std::string client_cid, server_cid;
    expect_flow(c, events, client, ce, &client_cid);
    expect_flow(c, events, accepted, se, &server_cid);
    if (!traced)
      for (const auto& e : events)
        if ((client.matches(e) || accepted.matches(e)) &&
            e.str("content_source") == std::optional<std::string>("tls_plaintext"))
          c.fail("tls_plaintext message without the TLS uprobes in the plan: " + e.raw());
    if (!c.ok()) c.details = events_of(events, {client, accepted});
    report_.finish(c, traced ? "the request and response in plaintext on both flows, pid " +
                                   ce.process.pid_text()
                             : "no TLS uprobes in the plan: no plaintext messages");
  }

  void check_exchange(const std::string& name, Server& server) {
    Check c{name};
    auto truth = run_helper(c, {paths_.helper("tcp_client"), server.ip, std::to_string(server.port),
                                std::to_string(kClientBytes)});
    if (!truth) return report_.finish(c, "");
    if (truth->has("error") || truth->integer("sent") != kClientBytes ||
        truth->integer("received") != kServerBytes) {
      c.fail("tcp_client did not complete its exchange: " + truth->raw());
      return report_.finish(c, "");
    }
    int64_t cport = truth->integer("local_port").value_or(0);
    auto worker = server.child->wait_json(
        [&](const Json& j) { return j.has("received") && j.integer("peer_port") == cport; },
        kHelperTimeout);
    if (!worker) {
      c.fail("no prefork worker reported serving port " + std::to_string(cport));
      c.details = server.child->describe();
      return report_.finish(c, "");
    }
    int64_t worker_pid = worker->integer("worker_pid").value_or(0);
    if (worker_pid == server.parent_pid) c.fail("the listener's parent accepted, not a worker");

    Selector client{server.ip, cport, server.ip, server.port, true};
    Selector accepted{server.ip, cport, server.ip, server.port, false};
    if (!trace_->wait_ends({client, accepted}, kEndTimeout))
      c.fail("no end event within 20 s for both flows");
    const auto& events = trace_->events();

    ExpectedFlow ce;
    ce.process = client_process("tcp_client", truth->integer("pid").value_or(-1));
    ce.out_bytes = truth->integer("sent");
    ce.in_bytes = truth->integer("received");
    ce.end_reason = "close";
    ce.flags = {"SYN", "ACK", "FIN"};
    ce.out_content = pattern_content(kClientBytes);
    ce.in_content = pattern_content(kServerBytes);
    std::string client_cid, server_cid;
    expect_flow(c, events, client, ce, &client_cid);

    ExpectedFlow se;
    if (s_.accept_by_listener) {
      // The documented cost of accept=listener: the listener's owner.
      se.process = {server.parent_pid, getpid(), paths_.exe("prefork_server"),
                    paths_.image_path("prefork_server"), "listener's owner (accept=listener)"};
    } else {
      se.process = {worker_pid, server.parent_pid, paths_.exe("prefork_server"),
                    paths_.image_path("prefork_server"), "accepting worker"};
    }
    se.process_on_start = false;  // the accepting worker may be known only later
    se.in_bytes = worker->integer("received");
    se.out_bytes = worker->integer("sent");
    se.end_reason = "close";
    se.flags = {"SYN", "ACK", "FIN"};
    se.out_content = ce.in_content;
    se.in_content = ce.out_content;
    expect_flow(c, events, accepted, se, &server_cid);
    if (!client_cid.empty() && client_cid != server_cid)
      c.fail("the two ends of one connection have different community_id");

    if (!c.ok()) c.details = events_of(events, {client});
    report_.finish(c, "client pid " + ce.process.pid_text() + " and " + se.process.role + " pid " +
                          se.process.pid_text() + ", " + std::to_string(kClientBytes) + "/" +
                          std::to_string(kServerBytes) +
                          " bytes, exe, image_path, user, the first 512 B of each side as a "
                          "message on both flows");
  }

  // quick_connect: connects, sends 1 byte, exits at once.
  void check_quick(Server& server) {
    Check c{"quick"};
    std::vector<Json> runs;
    for (int i = 0; i < kQuickRuns; ++i) {
      std::unique_ptr<Child> child;
      auto truth = run_helper(
          c, {paths_.helper("quick_connect"), server.ip, std::to_string(server.port)}, &child);
      if (!truth) return report_.finish(c, "");
      if (truth->integer("pid") != child->pid())
        c.fail("quick_connect reported pid " + truth->text("pid") + " but was started as " +
               std::to_string(child->pid()));
      runs.push_back(*truth);
    }
    std::vector<Selector> sels;
    for (const auto& r : runs)
      sels.push_back(
          {server.ip, r.integer("local_port").value_or(0), server.ip, server.port, true});
    if (!trace_->wait_ends(sels, kEndTimeout)) c.fail("not every quick_connect flow ended in 20 s");
    const auto& events = trace_->events();
    int exact = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      size_t before = c.failures.size();
      std::vector<const Json*> starts, ends;
      for (const auto& e : events) {
        if (!sels[i].matches(e)) continue;
        if (e.str("action") == std::optional<std::string>("start")) starts.push_back(&e);
        if (e.str("action") == std::optional<std::string>("end")) ends.push_back(&e);
      }
      std::string what =
          "quick_connect #" + std::to_string(i + 1) + " (" + sels[i].describe() + ")";
      if (starts.size() != 1 || ends.size() != 1) {
        c.fail(what + ": " + std::to_string(starts.size()) + " start and " +
               std::to_string(ends.size()) + " end events, expected 1 and 1");
      }
      Process p = client_process("quick_connect", runs[i].integer("pid").value_or(-1));
      if (!starts.empty()) expect_process(c, *starts.front(), p, true, what + " start");
      if (!ends.empty()) {
        expect_process(c, *ends.front(), p, true, what + " end");
        if (ends.front()->integer("out_bytes") != 1)
          c.fail(what + " end: out_bytes is " + ends.front()->text("out_bytes") + ", expected 1");
      }
      if (c.failures.size() == before) ++exact;
    }
    if (!c.ok()) c.details = events_of(events, sels);
    report_.finish(c, std::to_string(exact) + "/" + std::to_string(kQuickRuns) +
                          " short-lived clients named exactly (pid, ppid, exe, image_path, user, "
                          "1 byte out)");
  }

  Process self_process(int64_t pid, const std::string& role) const {
    return {pid, getpid(), paths_.self_exe(), paths_.self_image_path(), role};
  }

  // A connected UDP client and a server bound to `ip`, both forked copies of
  // vm_check: three datagrams each way, then both close their socket. Where
  // the plan has udp=none, procflow must print no UDP event at all.
  void check_udp(const std::string& name, const std::string& ip) {
    Check c{name};
    const bool traced = plan_.hook["udp"] != "none";
    // Server messages: {port} when bound, then {received, sent, datagrams
    // received, datagrams sent, peer port}; the client's has the same layout.
    auto server = Forked::start([&](int out) {
      int s = bound_socket(ip.c_str(), 0, SOCK_DGRAM);
      if (s < 0) return 10;
      Msg ready;
      ready.v[0] = local_port(s);
      if (!send_msg(out, ready)) return 11;
      Msg r;
      char buf[8192];
      for (int i = 0; i < kUdpDatagrams; ++i) {
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        ssize_t got = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
        if (got <= 0) return 12;
        r.v[0] += got;
        r.v[2] += 1;
        r.v[4] = port_of(peer);
        ssize_t reply = got * kUdpReplyFactor;
        std::memset(buf, 's', static_cast<size_t>(reply));
        if (sendto(s, buf, static_cast<size_t>(reply), 0, reinterpret_cast<sockaddr*>(&peer),
                   plen) != reply)
          return 13;
        r.v[1] += reply;
        r.v[3] += 1;
      }
      close(s);
      return send_msg(out, r) ? 0 : 14;
    });
    if (!server) {
      c.fail("cannot fork the UDP server");
      return report_.finish(c, "");
    }
    auto ready = server->read_msg(kHelperTimeout);
    if (!ready || ready->v[0] == 0) {
      server->wait_exit(1s);
      c.fail("the UDP server on " + ip + " never bound (" + server->status_text() + ")");
      return report_.finish(c, "");
    }
    const int64_t sport = ready->v[0];
    auto client = Forked::start([&](int out) {
      int s = connected_socket(ip.c_str(), static_cast<int>(sport), SOCK_DGRAM);
      if (s < 0) return 20;
      Msg r;
      r.v[4] = local_port(s);
      char buf[8192];
      for (int64_t size : kUdpSizes) {
        std::memset(buf, 'c', static_cast<size_t>(size));
        if (send(s, buf, static_cast<size_t>(size), 0) != size) return 21;
        r.v[1] += size;
        r.v[3] += 1;
        ssize_t got = recv(s, buf, sizeof buf, 0);
        if (got <= 0) return 22;
        r.v[0] += got;
        r.v[2] += 1;
      }
      close(s);
      return send_msg(out, r) ? 0 : 23;
    });
    if (!client) {
      c.fail("cannot fork the UDP client");
      return report_.finish(c, "");
    }
    auto mine = client->read_msg(kHelperTimeout);
    auto theirs = server->read_msg(kHelperTimeout);
    client->wait_exit(kHelperTimeout);
    server->wait_exit(kHelperTimeout);
    int64_t sum = 0;
    for (int64_t size : kUdpSizes) sum += size;
    if (!mine || !theirs || mine->v[1] != sum || mine->v[0] != sum * kUdpReplyFactor ||
        theirs->v[0] != sum || theirs->v[1] != sum * kUdpReplyFactor ||
        theirs->v[4] != mine->v[4]) {
      c.fail("the UDP exchange on " + ip + " did not complete (client " + client->status_text() +
             ", server " + server->status_text() + ")");
      return report_.finish(c, "");
    }
    const int64_t cport = mine->v[4];
    const int64_t datagrams = 2 * kUdpDatagrams;

    if (!traced) {
      // Give procflow time to print whatever it would have printed.
      std::this_thread::sleep_for(2s);
      std::string udp;
      int n = 0;
      for (const auto& e : trace_->events()) {
        if (e.str("transport_protocol") == std::optional<std::string>("UDP")) {
          ++n;
          udp += "    event| " + e.raw() + "\n";
        }
      }
      if (n) {
        c.fail(std::to_string(n) + " UDP event(s) although the plan has udp=none");
        c.details = udp;
      }
      return report_.finish(c, "udp not traced on this kernel (expected): udp=none, " +
                                   std::to_string(datagrams) + " datagrams on " + ip +
                                   " and no UDP event");
    }

    // src = the client, who sent first; both sockets have both addresses.
    Selector csel{ip, cport, ip, sport, true};
    Selector ssel{ip, cport, ip, sport, false};
    if (!trace_->wait_ends({csel, ssel}, kEndTimeout))
      c.fail("no end event within 20 s for both UDP flows");
    const auto& events = trace_->events();

    ExpectedFlow ce;
    ce.process = self_process(client->pid(), "UDP client");
    ce.out_bytes = mine->v[1];
    ce.in_bytes = mine->v[0];
    ce.packet_count = datagrams;
    ce.end_reason = "close";
    ce.transport = "UDP";
    std::string client_cid, server_cid;
    expect_flow(c, events, csel, ce, &client_cid);

    ExpectedFlow se = ce;
    se.process = self_process(server->pid(), "UDP server");
    se.out_bytes = theirs->v[1];
    se.in_bytes = theirs->v[0];
    expect_flow(c, events, ssel, se, &server_cid);
    if (!client_cid.empty() && client_cid != server_cid)
      c.fail("the two sockets of one exchange have different community_id");

    if (!c.ok()) c.details = events_of(events, {csel});
    report_.finish(c, "client pid " + ce.process.pid_text() + " and server pid " +
                          se.process.pid_text() + " (exe " + paths_.self_exe() + "), " +
                          std::to_string(sum) + "/" + std::to_string(sum * kUdpReplyFactor) +
                          " bytes, " + std::to_string(datagrams) +
                          " datagrams, end_reason close, same community_id");
  }

  // A DNS responder on 127.0.0.1:53 answers an A query for vm-dns.test with
  // 127.0.0.7; the client then connects to 127.0.0.7, where a listener
  // accepts. Its TCP flow must be named by the answer procflow saw on lo.
  void check_dns() {
    Check c{"dns"};
    // Listener: {port}, then {bytes received}.
    auto listener = Forked::start([&](int out) {
      int s = bound_socket(kDnsAddress, 0, SOCK_STREAM);
      if (s < 0 || listen(s, 4) != 0) return 30;
      Msg ready;
      ready.v[0] = local_port(s);
      if (!send_msg(out, ready)) return 31;
      pollfd pfd{s, POLLIN, 0};
      if (poll(&pfd, 1, 30000) != 1) return 32;
      int conn = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) return 33;
      set_timeouts(conn, 30);
      Msg r;
      char buf[4096];
      for (;;) {
        ssize_t n = recv(conn, buf, sizeof buf, 0);
        if (n < 0) return 34;
        if (n == 0) break;
        r.v[0] += n;
      }
      close(conn);
      close(s);
      return send_msg(out, r) ? 0 : 35;
    });
    // Responder: {1} when bound, then {response bytes}.
    auto responder = Forked::start([&](int out) {
      int s = bound_socket("127.0.0.1", kDnsPort, SOCK_DGRAM);
      if (s < 0) return 40;
      Msg ready;
      ready.v[0] = 1;
      if (!send_msg(out, ready)) return 41;
      unsigned char q[512];
      sockaddr_storage peer{};
      socklen_t plen = sizeof peer;
      ssize_t got = recvfrom(s, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
      if (got < 12 + 5) return 42;
      // The question: labels up to the root, then type and class.
      size_t end = 12;
      while (end < static_cast<size_t>(got) && q[end] != 0) end += q[end] + 1u;
      end += 1 + 4;
      if (end > static_cast<size_t>(got)) return 43;
      unsigned char r[512];
      std::memcpy(r, q, end);                                  // header (id, ...) and question
      r[2] = 0x81;                                             // QR, opcode 0, RD
      r[3] = 0x80;                                             // RA, rcode 0
      r[6] = 0, r[7] = 1;                                      // ANCOUNT 1
      r[8] = r[9] = r[10] = r[11] = 0;                         // NSCOUNT, ARCOUNT
      const unsigned char answer[] = {0xc0, 0x0c,              // name: a pointer to the question's
                                      0x00, 0x01, 0x00, 0x01,  // type A, class IN
                                      0x00, 0x00, 0x01, 0x2c,  // TTL 300
                                      0x00, 0x04, 127,  0,    0, 7};
      std::memcpy(r + end, answer, sizeof answer);
      size_t len = end + sizeof answer;
      if (sendto(s, r, len, 0, reinterpret_cast<sockaddr*>(&peer), plen) !=
          static_cast<ssize_t>(len))
        return 44;
      close(s);
      Msg done;
      done.v[0] = static_cast<int64_t>(len);
      return send_msg(out, done) ? 0 : 45;
    });
    if (!listener || !responder) {
      c.fail("cannot fork the DNS responder or the TCP listener");
      return report_.finish(c, "");
    }
    auto lready = listener->read_msg(kHelperTimeout);
    auto rready = responder->read_msg(kHelperTimeout);
    if (!lready || !rready) {
      listener->wait_exit(1s);
      responder->wait_exit(1s);
      c.fail("the TCP listener on " + std::string(kDnsAddress) + " (" + listener->status_text() +
             ") or the DNS responder on 127.0.0.1:53 (" + responder->status_text() +
             ") never bound");
      return report_.finish(c, "");
    }
    const int64_t lport = lready->v[0];
    // Client: {response bytes, TCP local port, TCP local IPv4 (network order),
    // TCP bytes sent}.
    auto client = Forked::start([&](int out) {
      int u = connected_socket("127.0.0.1", kDnsPort, SOCK_DGRAM);
      if (u < 0) return 50;
      const unsigned char query[] = {
          0x56, 0x46, 0x01, 0x00,                          // id, flags: RD
          0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // QDCOUNT 1
          6,    'v',  'm',  '-',  'd',  'n',  's',  4,    't',
          'e',  's',  't',  0,    0x00, 0x01, 0x00, 0x01};  // type A, class IN
      if (send(u, query, sizeof query, 0) != static_cast<ssize_t>(sizeof query)) return 51;
      unsigned char r[512];
      ssize_t got = recv(u, r, sizeof r, 0);
      close(u);
      if (got < static_cast<ssize_t>(sizeof query) + 16) return 52;
      if (r[0] != 0x56 || r[1] != 0x46 || (r[2] & 0x80) == 0 || (r[3] & 0x0f) != 0 || r[6] != 0 ||
          r[7] != 1)
        return 53;
      if (std::memcmp(r + got - 4, "\x7f\x00\x00\x07", 4) != 0) return 54;
      // Leave procflow a moment to take the answer in before the connect.
      timespec pause{1, 0};
      nanosleep(&pause, nullptr);
      int t = connected_socket(kDnsAddress, static_cast<int>(lport), SOCK_STREAM);
      if (t < 0) return 55;
      sockaddr_in me{};
      socklen_t mlen = sizeof me;
      getsockname(t, reinterpret_cast<sockaddr*>(&me), &mlen);
      char buf[kDnsTcpBytes];
      std::memset(buf, 'd', sizeof buf);
      if (send(t, buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf)) return 56;
      close(t);
      Msg m;
      m.v[0] = got;
      m.v[1] = ntohs(me.sin_port);
      m.v[2] = me.sin_addr.s_addr;
      m.v[3] = sizeof buf;
      return send_msg(out, m) ? 0 : 57;
    });
    if (!client) {
      c.fail("cannot fork the DNS client");
      return report_.finish(c, "");
    }
    auto mine = client->read_msg(kHelperTimeout);
    auto answered = responder->read_msg(kHelperTimeout);
    auto served = listener->read_msg(kHelperTimeout);
    client->wait_exit(kHelperTimeout);
    responder->wait_exit(kHelperTimeout);
    listener->wait_exit(kHelperTimeout);
    if (!mine || !answered || !served || served->v[0] != kDnsTcpBytes) {
      c.fail("the DNS exchange and connect did not complete (client " + client->status_text() +
             ", responder " + responder->status_text() + ", listener " + listener->status_text() +
             ")");
      return report_.finish(c, "");
    }
    in_addr src{};
    src.s_addr = static_cast<uint32_t>(mine->v[2]);
    char src_text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &src, src_text, sizeof src_text);

    Selector sel{src_text, mine->v[1], kDnsAddress, lport, true};
    if (!trace_->wait_ends({sel}, kEndTimeout)) c.fail("no end event within 20 s");
    const auto& events = trace_->events();
    ExpectedFlow want;
    want.process = self_process(client->pid(), "DNS client");
    want.out_bytes = kDnsTcpBytes;
    want.in_bytes = 0;
    want.end_reason = "close";
    want.flags = {"SYN", "ACK", "FIN"};
    expect_flow(c, events, sel, want, nullptr);
    for (const auto& e : events) {
      if (!sel.matches(e)) continue;
      std::string where = sel.describe() + " " + e.str("action").value_or("?");
      if (e.str("dest_fqdn") != std::optional<std::string>(kDnsName))
        c.fail(where + ": dest_fqdn is " + e.text("dest_fqdn") + ", expected \"" + kDnsName + "\"");
      if (e.str("dest_hostname") != std::optional<std::string>(kDnsHost))
        c.fail(where + ": dest_hostname is " + e.text("dest_hostname") + ", expected \"" +
               kDnsHost + "\"");
    }
    if (!c.ok()) c.details = events_of(events, {sel});
    report_.finish(c, std::string("A ") + kDnsName + " -> " + kDnsAddress +
                          " answered on 127.0.0.1:53; the connect of pid " +
                          want.process.pid_text() + " to " + kDnsAddress + ":" +
                          std::to_string(lport) + " has dest_fqdn \"" + kDnsName +
                          "\", dest_hostname \"" + kDnsHost + "\"");
  }

  // A connect to a closed port: SYN, RST, end_reason "reset".
  void check_refused(const std::string& name, const std::string& ip) {
    Check c{name};
    std::unique_ptr<Child> child;
    auto truth = run_helper(
        c, {paths_.helper("tcp_client"), ip, std::to_string(kClosedPort), "100"}, &child);
    if (!truth) return report_.finish(c, "");
    if (!truth->has("error") || truth->integer("local_port").value_or(0) == 0) {
      c.fail("the connect to port " + std::to_string(kClosedPort) +
             " should have been refused with a known local port: " + truth->raw());
      return report_.finish(c, "");
    }
    Selector sel{ip, truth->integer("local_port").value_or(0), ip, kClosedPort, true};
    if (!trace_->wait_ends({sel}, kEndTimeout)) c.fail("no end event within 20 s");
    const auto& events = trace_->events();
    ExpectedFlow want;
    want.process = client_process("tcp_client", truth->integer("pid").value_or(-1));
    want.in_bytes = 0;
    want.out_bytes = 0;
    want.end_reason = "reset";
    want.flags = {"SYN", "RST"};
    expect_flow(c, events, sel, want, nullptr);
    if (!c.ok()) c.details = events_of(events, {sel});
    report_.finish(
        c, "pid " + want.process.pid_text() + ", end_reason reset, flags SYN,RST, 0/0 bytes");
  }

  void stop_trace() {
    Check c{"trace-stop"};
    trace_->child().signal(SIGINT);
    auto status = trace_->child().wait_exit(60s);
    if (!status) {
      c.fail("procflow still running 60 s after SIGINT");
      trace_->child().signal(SIGKILL);
    } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      c.fail("procflow ended with " + trace_->child().status_text());
    }
    trace_->child().wait_eof(5s);
    const auto& bad = trace_->malformed();
    if (!bad.empty())
      c.fail(std::to_string(bad.size()) +
             " stdout line(s) are not JSON objects, first: " + bad.front());
    for (const auto& line : trace_->child().err()) {
      if (line.find("[error]") != std::string::npos || line.find("[warning]") != std::string::npos)
        report_.note("procflow stderr: " + line);
    }
    if (!c.ok()) c.details = trace_->child().describe();
    report_.finish(c, "exit 0 on SIGINT, " + std::to_string(trace_->events().size()) +
                          " JSON events, none malformed");
  }

  const Scenario& s_;
  const Paths& paths_;
  Report report_;
  PlanInfo plan_;
  double probe_seconds_ = 0;
  std::unique_ptr<Trace> trace_;
  std::optional<Server> held_server_;
  std::unique_ptr<Child> held_client_;
  std::optional<Json> held_truth_;
};

int usage() {
  std::fprintf(stderr,
               "usage: vm_check --procflow PATH --helpers DIR [SCENARIO...]\n"
               "scenarios (default: preferred):");
  for (const auto& s : kScenarios) std::fprintf(stderr, " %s", s.name.c_str());
  std::fprintf(stderr, "\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Paths paths;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--procflow" && i + 1 < argc)
      paths.procflow = argv[++i];
    else if (a == "--helpers" && i + 1 < argc)
      paths.helpers = argv[++i];
    else if (!a.empty() && a[0] == '-')
      return usage();
    else
      names.push_back(a);
  }
  if (paths.procflow.empty() || paths.helpers.empty()) return usage();
  if (names.empty()) names.push_back("preferred");
  signal(SIGPIPE, SIG_IGN);

  int failed = 0;
  for (const auto& name : names) {
    auto it = std::find_if(kScenarios.begin(), kScenarios.end(),
                           [&](const Scenario& s) { return s.name == name; });
    if (it == kScenarios.end()) {
      std::fprintf(stderr, "vm_check: unknown scenario %s\n", name.c_str());
      return usage();
    }
    failed += ScenarioRun(*it, paths).run();
  }
  return failed ? 1 : 0;
}
