// The ECS writer: a FlowEvent as one Elastic Common Schema 9.x document per line, for
// Elasticsearch and tools that read ECS. The field-by-field mapping is in docs/schemas.md.
#pragma once

#include <string>

#include "procflow/flow_event.h"

namespace procflow {

// The ECS version the documents claim (ecs.version).
inline constexpr const char* ecs_schema_version = "9.0.0";

// Appends one JSON object (nested, as Elasticsearch documents are) followed by '\n' to `out`, like
// append_json_line. Unknown values are omitted; CAR fields without an ECS field go under
// "procflow" with their CAR names.
void append_ecs_json_line(const FlowEvent& e, std::string& out);

}  // namespace procflow
