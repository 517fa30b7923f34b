// The OCSF writer: a FlowEvent as one OCSF 1.8.0 Network Activity event (class_uid 4001) per line,
// for SIEMs and data lakes that ingest OCSF. The field-by-field mapping, the activity mapping and
// the byte orientation are in docs/schemas.md.
#pragma once

#include <string>

#include "procflow/flow_event.h"

namespace procflow {

// The OCSF schema version the events claim (metadata.version).
inline constexpr const char* ocsf_schema_version = "1.8.0";

// Appends one JSON object followed by '\n' to `out`, like append_json_line. Unknown values are
// omitted; CAR fields without an OCSF attribute go under "unmapped" with their CAR names.
void append_ocsf_json_line(const FlowEvent& e, std::string& out);

}  // namespace procflow
