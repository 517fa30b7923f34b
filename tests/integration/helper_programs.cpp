// Paths of the integration-test helper programs; see helper_programs.h.
#include "helper_programs.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace procflow_it {

std::string helper_path(Helper helper) {
  switch (helper) {
    case Helper::tcp_client:
      return PF_IT_TCP_CLIENT;
    case Helper::prefork_server:
      return PF_IT_PREFORK_SERVER;
    case Helper::quick_connect:
      return PF_IT_QUICK_CONNECT;
    case Helper::udp_peer:
      return PF_IT_UDP_PEER;
    case Helper::connect_then_exec:
      return PF_IT_CONNECT_THEN_EXEC;
    case Helper::fd_user:
      return PF_IT_FD_USER;
    case Helper::dns_peer:
      return PF_IT_DNS_PEER;
    case Helper::port_reuse_client:
      return PF_IT_PORT_REUSE_CLIENT;
    case Helper::tun_relay:
      return PF_IT_TUN_RELAY;
    case Helper::fd_exec:
      return PF_IT_FD_EXEC;
    case Helper::churn_driver:
      return PF_IT_CHURN_DRIVER;
    case Helper::churn_a:
      return PF_IT_CHURN_A;
    case Helper::churn_b:
      return PF_IT_CHURN_B;
    case Helper::churn_c:
      return PF_IT_CHURN_C;
  }
  return {};
}

std::string helper_image_path(Helper helper) {
  std::error_code ec;
  auto resolved = std::filesystem::canonical(helper_path(helper), ec);
  return ec ? helper_path(helper) : resolved.string();
}

std::string helper_exe(Helper helper) {
  return std::filesystem::path(helper_image_path(helper)).filename().string();
}

std::string system_program_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    std::error_code ec;
    auto resolved = std::filesystem::canonical(std::filesystem::path(dir) / name, ec);
    if (!ec && access(resolved.c_str(), X_OK) == 0) return resolved.string();
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

}  // namespace procflow_it
