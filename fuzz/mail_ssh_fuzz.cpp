// libFuzzer target: arbitrary bytes as a client and as a server message of
// SMTP/FTP/POP3/IMAP and SSH, and as a server name; whatever is recognised
// must give well-formed proto_info, and a normalized name must be a hostname.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/mail_commands.h"
#include "proto/server_name.h"
#include "proto/ssh_banner.h"
#include "proto_text_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool from_client : {true, false}) {
    for (bool strict : {true, false})
      if (auto info = procflow::mail_commands_proto_info(text, from_client, strict))
        procflow::fuzz::check_proto_info(*info);
    (void)procflow::guess_mail_protocol(text, from_client);
  }
  if (auto banner = procflow::parse_ssh_banner(text)) {
    if (banner->size() > 255 || banner->substr(0, 4) != "SSH-") std::abort();
    procflow::fuzz::check_proto_info(procflow::ssh_proto_info(*banner));
  }
  for (bool host_header : {true, false}) {
    if (auto name = procflow::normalize_server_name(text, host_header)) {
      if (name->empty() || name->size() > 253) std::abort();
      for (char c : *name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
          std::abort();
    }
  }
  return 0;
}
