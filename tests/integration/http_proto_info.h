// What proto_info must say about an HTTP/1.x turn, read from the turn's own
// bytes: a request's method, target, version, Host and User-Agent; a
// response's version, status and reason (docs/events.md, proto_info).
#pragma once

#include <map>
#include <string>

#include "talk_client.h"

namespace procflow_it {

std::map<std::string, std::string> http_proto_info(const Turn& turn);

}  // namespace procflow_it
