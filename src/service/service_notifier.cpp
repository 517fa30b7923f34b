#include "service/service_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace procflow {
namespace {

uint64_t monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  uint64_t usec = 0;
  // 0 (not asked for) or negative (not under systemd): no pings.
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_us_ = usec;
}

void ServiceNotifier::ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
  last_status_ = status;
}

void ServiceNotifier::reloading() {
  // MONOTONIC_USEC lets systemd (253+) tell this reload from an older one.
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
             static_cast<unsigned long long>(monotonic_us()));
}

void ServiceNotifier::stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void ServiceNotifier::tick() {
  if (!watchdog_us_) return;
  const uint64_t now = monotonic_us();
  if (now - last_ping_us_ < watchdog_us_ / 2) return;
  sd_notify(0, "WATCHDOG=1");
  last_ping_us_ = now;
}

void ServiceNotifier::status(const std::string& text) {
  if (text == last_status_) return;
  sd_notifyf(0, "STATUS=%s", text.c_str());
  last_status_ = text;
}

}  // namespace procflow
