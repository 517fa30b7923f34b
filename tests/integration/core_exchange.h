// The core scenario shared by the suites that check the two flows of one
// connection: a tcp_client in the namespace sends to a pre-forking server in
// the root namespace, whose forked worker accepts, reads to EOF and replies.
// Both flows (the client's and the server's) are checked with exact pids,
// ppid, exe, image_path, uid/user, byte counts, flags, end_reason close and a
// shared community_id, against the helpers' own account.
#pragma once

#include <string>

#include "integration_test.h"

namespace procflow_it {

// Who must own the server's flow: the worker that accepted the connection
// (every attach plan that sees accept() or send/recv), or the pre-fork parent
// that called listen() (the `listener` fallback, the only one that cannot
// know the worker).
enum class InboundOwner { accepting_worker, listener_parent };

class CoreExchangeTest : public IntegrationTest {
 protected:
  static constexpr int kClientBytes = 1000;
  static constexpr int kServerBytes = 5000;

  // Runs the scenario against a procflow the caller has started on the
  // topology's veth; use with ASSERT_NO_FATAL_FAILURE.
  void exchange_and_check(const std::string& server_ip, const std::string& client_ip,
                          InboundOwner owner = InboundOwner::accepting_worker);
};

}  // namespace procflow_it
