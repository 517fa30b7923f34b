// Paths of the integration-test helper programs; see helper_programs.h.
#include "helper_programs.h"

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

}  // namespace procflow_it
