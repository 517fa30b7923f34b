#include "metrics/metrics_server.h"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "util/capabilities.h"

namespace procflow {
namespace {

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<NetworkAddress> parse_metrics_address(std::string_view text, std::string* error) {
  auto address = parse_network_address(text, error);
  if (!address) return std::nullopt;
  if (!address->path.empty() || !address->options.empty()) {
    *error = "expected HOST:PORT only, e.g. 127.0.0.1:9469";
    return std::nullopt;
  }
  return address;
}

MetricsServer::MetricsServer() : server_(std::make_unique<httplib::Server>()) {}

std::unique_ptr<MetricsServer> MetricsServer::start(const std::string& address,
                                                    const std::string& initial_text,
                                                    std::string* error) {
  const auto where = parse_metrics_address(address, error);
  if (!where) {
    *error = "metrics address '" + address + "': " + *error;
    return nullptr;
  }
  auto self = std::unique_ptr<MetricsServer>(new MetricsServer());
  self->text_ = initial_text;
  httplib::Server& s = *self->server_;
  // Two threads answer: a scraper and a probe at once. Keep-alive is short
  // so a stop is not held up by an idle connection.
  s.new_task_queue = [] { return new httplib::ThreadPool(2); };
  s.set_keep_alive_timeout(1);
  // SO_REUSEADDR (a restart finds the port in TIME_WAIT) but not httplib's
  // default SO_REUSEPORT, with which a second procflow would silently share
  // the port and answer half the scrapes.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_read_timeout(5, 0);
  s.set_write_timeout(5, 0);
  MetricsServer* m = self.get();
  s.Get("/metrics", [m](const httplib::Request&, httplib::Response& res) {
    res.set_content(m->metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/healthz", [m](const httplib::Request&, httplib::Response& res) {
    const std::string why = m->unhealthy_reason();
    res.status = why.empty() ? 200 : 503;
    res.set_content(why.empty() ? "ok\n" : why + "\n", "text/plain");
  });
  s.Get("/readyz", [m](const httplib::Request&, httplib::Response& res) {
    const bool ready = m->ready_.load();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready: the kernel programs are not attached\n",
                    "text/plain");
  });
  if (!s.bind_to_port(where->host, where->port)) {
    *error = "metrics address " + address +
             ": cannot listen there (in use, or not an address of "
             "this host)";
    return nullptr;
  }
  self->port_ = where->port;
  // The thread starts with every signal blocked (they belong to the loop's
  // signalfd); the server's worker threads inherit the mask.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  self->thread_ = std::thread([m] { m->serve(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return self;
}

void MetricsServer::serve() {
  // Answering HTTP needs no privilege; the workers this thread starts
  // inherit its (empty) capability sets and its name.
  drop_all_capabilities_of_this_thread();
  pthread_setname_np(pthread_self(), "pf-metrics");
  server_->listen_after_bind();
  serving_done_ = true;
}

MetricsServer::~MetricsServer() {
  if (!thread_.joinable()) return;  // never served (the bind failed)
  // stop() only works once the server runs: wait for that (or for its end).
  while (!server_->is_running() && !serving_done_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->stop();
  thread_.join();
}

void MetricsServer::publish(std::string text) {
  std::lock_guard lock(mu_);
  text_.swap(text);
}

std::string MetricsServer::metrics_text() const {
  std::lock_guard lock(mu_);
  return text_;
}

void MetricsServer::heartbeat() {
  last_beat_ns_.store(steady_now_ns(), std::memory_order_relaxed);
}

void MetricsServer::set_ready(bool ready) {
  ready_ = ready;
}

std::string MetricsServer::unhealthy_reason() const {
  const int64_t beat = last_beat_ns_.load(std::memory_order_relaxed);
  if (beat == 0) return "";  // starting: loading and attaching take their time
  const int64_t age_s = (steady_now_ns() - beat) / 1'000'000'000;
  if (age_s < stall_limit.count()) return "";
  return "the collection loop has not turned for " + std::to_string(age_s) + " s";
}

}  // namespace procflow
