#include "output/event_format.h"

#include "output/ecs_json.h"
#include "output/json_serializer.h"
#include "output/lost_event.h"
#include "output/ocsf_json.h"
#include "output/text_formatter.h"

namespace procflow {

std::optional<Schema> EventFormat::parse_schema(std::string_view name) {
  if (name == "car") return Schema::car;
  if (name == "ocsf") return Schema::ocsf;
  if (name == "ecs") return Schema::ecs;
  return std::nullopt;
}

std::optional<EventFormat> EventFormat::from_names(std::string_view schema, std::string_view layout,
                                                   std::string* error) {
  EventFormat format;
  if (auto s = parse_schema(schema.empty() ? "car" : schema)) {
    format.schema = *s;
  } else {
    *error = "unknown schema '" + std::string(schema) + "': expected car, ocsf or ecs";
    return std::nullopt;
  }
  if (layout == "text") {
    if (format.schema != Schema::car) {
      *error = "the text layout exists for the car schema only; " + std::string(schema) +
               " is written as JSON";
      return std::nullopt;
    }
    format.layout = Layout::text;
  } else if (!layout.empty() && layout != "json") {
    *error = "unknown format '" + std::string(layout) + "': expected json or text";
    return std::nullopt;
  }
  return format;
}

std::string EventFormat::header() const {
  return layout == Layout::text ? text_header() : std::string();
}

void EventFormat::append_event(const FlowEvent& e, std::string& out) const {
  switch (schema) {
    case Schema::ocsf:
      append_ocsf_json_line(e, out);
      return;
    case Schema::ecs:
      append_ecs_json_line(e, out);
      return;
    case Schema::car:
      if (layout == Layout::text)
        append_text_line(e, out, colour);
      else
        append_json_line(e, out);
      return;
  }
}

bool EventFormat::append_lost(const LossCounts& delta, uint64_t since_us, uint64_t now_us,
                              std::string& out) const {
  // OCSF Network Activity and ECS have no object for a tracer's own losses:
  // those streams carry flows only; the losses are in the log and the exit
  // report (docs/schemas.md).
  if (schema != Schema::car) return false;
  if (layout == Layout::text)
    append_lost_text(delta, since_us, now_us, out);
  else
    append_lost_json(delta, since_us, now_us, out);
  return true;
}

}  // namespace procflow
