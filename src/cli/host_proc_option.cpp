#include "cli/host_proc_option.h"

namespace procflow {

void add_host_proc_option(CLI::App* cmd, std::string* host_proc) {
  cmd->add_option("--host-proc", *host_proc,
                  "the host's /proc, e.g. /host/proc in a container (which must share the "
                  "host's pid namespace; default /proc)")
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
}

}  // namespace procflow
