// What the table shows: the groups of one grouping, filtered by a substring
// and sorted by a column, with their rates computed for one moment; and the
// flows of an expanded group. Pure, so the view only draws.
#pragma once

#include <string>
#include <vector>

#include "top/flow_aggregator.h"

namespace procflow {

// The table's columns, in screen order; each is also a sort key.
enum class Column : uint8_t {
  name,
  open,         // flows open now
  flows,        // new connections since top started
  connections,  // new connections per second
  in_rate,
  out_rate,
  in_total,
  out_total
};
inline constexpr size_t kColumns = 8;
std::string_view column_title(Column c);

struct TopQuery {
  Grouping grouping = Grouping::process;
  Column sort = Column::in_rate;
  bool descending = true;  // name sorts ascending when this is false
  // Case-insensitive substring of the group's label or of one of its flows'
  // endpoints ("address:port", names), process or protocol; "" shows all.
  std::string filter;
  int rate_seconds = 5;  // rates average over this many seconds, up to now
};

struct TopRow {
  std::string key;
  const TopGroup* group = nullptr;
  RateHistory::Rates rates;
};

std::vector<TopRow> top_rows(const FlowAggregator& model, const TopQuery& query, uint64_t now_s);

// The flows of one group (open first, then the most bytes), filtered like
// the rows; empty when the group is gone.
std::vector<const TopFlow*> top_flows(const FlowAggregator& model, const TopQuery& query,
                                      const std::string& group_key);

// The byte rate history a sparkline draws: in + out per second, oldest first,
// the last `seconds` seconds up to now_s.
std::vector<double> rate_series(const TopGroup& group, uint64_t now_s, int seconds);

}  // namespace procflow
