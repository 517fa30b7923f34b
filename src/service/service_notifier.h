// The systemd notify protocol (Type=notify): READY=1 once the programs are
// attached, RELOADING=1 around a SIGHUP reload, STOPPING=1 at the stop, a
// STATUS= line with flows and losses, and WATCHDOG=1 pings at half the
// WatchdogSec the manager asked for. Without $NOTIFY_SOCKET (not under
// systemd) every call does nothing.
#pragma once

#include <cstdint>
#include <string>

namespace procflow {

class ServiceNotifier {
 public:
  ServiceNotifier();

  void ready(const std::string& status);
  void reloading();
  void stopping();
  // Called every loop turn: the watchdog ping when it is due.
  void tick();
  // STATUS= when it changed.
  void status(const std::string& text);

  bool watchdog_enabled() const { return watchdog_us_ != 0; }

 private:
  uint64_t watchdog_us_ = 0;  // WatchdogSec in microseconds, 0: off
  uint64_t last_ping_us_ = 0;
  std::string last_status_;
};

}  // namespace procflow
