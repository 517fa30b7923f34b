// Which way a captured message travelled, seen from the local socket. Kept
// apart from "who initiated the flow" because a local server receives the
// initiator's bytes: direction and from_initiator are independent facts.
// The enum itself is part of the event model (a `message` event carries it):
// procflow/flow_event.h defines it.
#pragma once

#include "procflow/flow_event.h"
