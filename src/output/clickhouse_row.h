// A procflow JSON line as a ClickHouse JSONEachRow row for the table in
// deploy/clickhouse/flows.sql. The JSON keys are the column names; only the
// times need rewriting: RFC 3339 with microseconds
// ("2026-11-28T06:24:17.132530Z") is not a DateTime every server parses
// (18.16 reads "YYYY-MM-DD hh:mm:ss" or a unix time), so each of
// timestamp, start_time and end_time becomes the second, as
// "2026-11-28 06:24:17", plus a `<name>_us` field with the microseconds.
// Booleans stay JSON booleans (UInt8 columns take them); unknown keys are
// skipped by the server (input_format_skip_unknown_fields).
#pragma once

#include <string>
#include <string_view>

namespace procflow {

// Appends the row for `line` (one JSON object, without '\n') and a '\n' to
// `out`. False, and nothing appended, for a line that is not a flow event
// (a `lost` report): the table holds flows only.
bool append_clickhouse_row(std::string_view line, std::string* out);

}  // namespace procflow
