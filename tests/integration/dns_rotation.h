// DNS answers that change over a run: dnsmasq (DnsServer) reads one extra
// hosts file (--addn-hosts), which DnsRotation rewrites and makes dnsmasq
// re-read with SIGHUP, epoch after epoch. In epoch k the stable name
// svc.test points at address k mod N of a pool and e<k>.test at the next
// one, so each address is named by one name, then by another: a flow must
// carry the name of the latest answer for its address, never an older one.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "dns_server.h"

namespace procflow_it {

class DnsRotation {
 public:
  static constexpr const char* kStableName = "svc.test";

  // `dir` must be readable by nobody (dnsmasq re-reads the file after
  // dropping its privileges); `pool` holds at least two addresses.
  DnsRotation(const std::filesystem::path& dir, std::vector<std::string> pool);

  // Options that make dnsmasq serve the file; epoch 0 is written already.
  std::vector<std::string> dnsmasq_options() const;
  // The next epoch: the file rewritten, dnsmasq told (SIGHUP), and waited
  // for until it logged reading the file again.
  ::testing::AssertionResult advance(const DnsServer& dns);

  int epoch() const { return epoch_; }
  // The current epoch's (name, address) pairs.
  std::vector<std::pair<std::string, std::string>> names() const;

 private:
  void write() const;

  std::filesystem::path file_;
  std::vector<std::string> pool_;
  int epoch_ = 0;
};

}  // namespace procflow_it
