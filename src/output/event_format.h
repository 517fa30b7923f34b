// How one event becomes bytes: a schema (what the object says) and, for the
// CAR schema, a layout (JSON line or aligned text). Every output route has one;
// `trace`, `replay` and `run` choose it from the same names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "procflow/flow_event.h"
#include "service/loss_counts.h"

namespace procflow {

enum class Schema { car, ocsf, ecs };
enum class Layout { json, text };

struct EventFormat {
  Schema schema = Schema::car;
  Layout layout = Layout::json;
  bool colour = false;  // text layout only: ANSI colours (--color)

  bool operator==(const EventFormat&) const = default;

  // "car", "ocsf", "ecs"; nullopt for anything else. See docs/schemas.md.
  static std::optional<Schema> parse_schema(std::string_view name);
  // The format the names ask for, or nullopt with `error` (text exists for the
  // CAR schema only: OCSF and ECS are for machines).
  static std::optional<EventFormat> from_names(std::string_view schema, std::string_view layout,
                                               std::string* error);

  // What a reader sees before the first event ("" for JSON).
  std::string header() const;
  // Appends the event as one complete line ending in '\n'.
  void append_event(const FlowEvent& e, std::string& out) const;
  // Appends a `lost` report as one line; false (nothing appended) where the
  // schema has no place for it.
  bool append_lost(const LossCounts& delta, uint64_t since_us, uint64_t now_us,
                   std::string& out) const;
};

}  // namespace procflow
