// Which way a captured message travelled, seen from the local socket. Kept
// apart from "who initiated the flow" because a local server receives the
// initiator's bytes: direction and from_initiator are independent facts.
#pragma once

#include <cstdint>

namespace procflow {

// out: the local socket sent these bytes; in: it received them.
enum class MessageDirection : uint8_t { out, in };

}  // namespace procflow
