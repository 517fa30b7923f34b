// Where the helper programs (tcp_client, prefork_server, quick_connect,
// udp_peer, connect_then_exec, fd_user, dns_peer, port_reuse_client, tun_relay, fd_exec,
// churn_driver, churn_a/b/c) are,
// and the exe/image_path procflow must report for them: image_path is the fully resolved path
// (readlink -f), exe its basename.
#pragma once

#include <string>

namespace procflow_it {

enum class Helper {
  tcp_client,
  prefork_server,
  quick_connect,
  udp_peer,
  connect_then_exec,
  fd_user,
  dns_peer,
  port_reuse_client,
  tun_relay,
  fd_exec,
  churn_driver,
  churn_a,  // churn_a, churn_b, churn_c: one source (churn_worker.cpp), three images
  churn_b,
  churn_c,
};

// The path CMake built the helper at (as passed to exec).
std::string helper_path(Helper helper);
// readlink -f of helper_path(): the expected image_path.
std::string helper_image_path(Helper helper);
// Basename of the image path: the expected exe.
std::string helper_exe(Helper helper);

// A system program the tests run (getent, dnsmasq): the fully resolved path
// of `name` found in $PATH, the image_path procflow must report for it; ""
// when it is not installed.
std::string system_program_path(const std::string& name);

}  // namespace procflow_it
