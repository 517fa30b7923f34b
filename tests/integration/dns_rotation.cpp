// Rotating DNS answers through dnsmasq's extra hosts file; see dns_rotation.h.
#include "dns_rotation.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace procflow_it {

DnsRotation::DnsRotation(const std::filesystem::path& dir, std::vector<std::string> pool)
    : file_(dir / "rotating.hosts"), pool_(std::move(pool)) {
  if (pool_.size() < 2) throw std::invalid_argument("DnsRotation needs two addresses or more");
  write();
}

std::vector<std::string> DnsRotation::dnsmasq_options() const {
  return {"--addn-hosts=" + file_.string()};
}

std::vector<std::pair<std::string, std::string>> DnsRotation::names() const {
  const size_t k = static_cast<size_t>(epoch_);
  return {{kStableName, pool_[k % pool_.size()]},
          {"e" + std::to_string(epoch_) + ".test", pool_[(k + 1) % pool_.size()]}};
}

void DnsRotation::write() const {
  const std::filesystem::path next = file_.string() + ".new";
  {
    std::ofstream out(next, std::ios::trunc);
    for (const auto& [name, address] : names()) out << address << ' ' << name << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + next.string());
  }
  std::filesystem::permissions(
      next, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  std::filesystem::rename(next, file_);
}

::testing::AssertionResult DnsRotation::advance(const DnsServer& dns) {
  // dnsmasq logs "read FILE - N names" each time it reads the file: at
  // start, and once per SIGHUP.
  const std::string read_line = "read " + file_.string();
  auto reads = [&](const std::vector<std::string>& lines) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.find(read_line) != std::string::npos;
    });
  };
  const auto before = reads(dns.process().err().lines());
  epoch_++;
  write();
  dns.process().signal(SIGHUP);
  if (!dns.process().err().wait_for(
          [&](const std::vector<std::string>& lines) { return reads(lines) > before; }, 10s)) {
    return ::testing::AssertionFailure()
           << "dnsmasq did not re-read " << file_ << " within 10 s of SIGHUP:\n"
           << dns.process().describe();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace procflow_it
