// dnsmasq as the tests' DNS server: in the root namespace, on port 53 of one
// address of the test's veth only (--bind-interfaces), answering only from its
// command line: no config file, no /etc/hosts, no upstream servers, and every
// other name under .test answered NXDOMAIN (--local=/test/). It never touches
// the host's resolver. The namespace is pointed at it with
// Topology::use_nameserver().
//
// It runs in the foreground (-k, so the spawned pid is dnsmasq's own) and as
// nobody (--user, so its flows have a user other than the test's root), logs
// every query to stderr, and answers with TTL 300 unless a record says
// otherwise. RAII: the destructor kills it and removes its pid file; the pid
// file's name carries the test process's pid, so a dnsmasq orphaned by a
// crashed run is found and killed before the next one starts.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

class DnsServer {
 public:
  static constexpr int kLocalTtl = 300;

  // `tag` makes its files unique (the topology's netns name, pf-<pid>-<n>);
  // `records` are dnsmasq options such as "--address=/web.test/10.213.5.10".
  DnsServer(const std::string& tag, const std::string& listen_ip,
            const std::vector<std::string>& records);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Waits until dnsmasq logged that it started (its socket is bound by then)
  // and checks that it is the spawned process itself (no fork).
  ::testing::AssertionResult wait_ready(std::chrono::milliseconds timeout = 10s);

  pid_t pid() const { return process_->pid(); }
  const SpawnedProcess& process() const { return *process_; }

 private:
  std::string pid_file_;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
