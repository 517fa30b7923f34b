#include "top/top_rows.h"

#include <algorithm>
#include <cctype>

namespace procflow {
namespace {

bool contains_folded(std::string_view text, std::string_view needle) {
  if (needle.empty()) return true;
  const auto it =
      std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  return it != text.end();
}

bool flow_matches(const TopFlow& f, std::string_view filter) {
  for (const std::string* s : {&f.local, &f.remote, &f.process, &f.protocol, &f.transport})
    if (contains_folded(*s, filter)) return true;
  return false;
}

bool group_matches(const FlowAggregator& model, const TopGroup& g, std::string_view filter) {
  if (contains_folded(g.label, filter)) return true;
  for (const std::string& key : g.flows)
    if (const TopFlow* f = model.flow(key); f && flow_matches(*f, filter)) return true;
  return false;
}

double sort_value(const TopRow& r, Column c) {
  switch (c) {
    case Column::name:
      return 0;
    case Column::open:
      return r.group->open;
    case Column::flows:
      return double(r.group->connections);
    case Column::connections:
      return r.rates.connections;
    case Column::in_rate:
      return r.rates.in_bytes;
    case Column::out_rate:
      return r.rates.out_bytes;
    case Column::in_total:
      return double(r.group->in_bytes);
    case Column::out_total:
      return double(r.group->out_bytes);
  }
  return 0;
}

}  // namespace

std::string_view column_title(Column c) {
  static constexpr std::string_view titles[kColumns] = {"NAME", "OPEN",  "FLOWS", "CONN/S",
                                                        "IN/S", "OUT/S", "IN",    "OUT"};
  return titles[static_cast<size_t>(c)];
}

std::vector<TopRow> top_rows(const FlowAggregator& model, const TopQuery& query, uint64_t now_s) {
  std::vector<TopRow> rows;
  for (const auto& [key, group] : model.groups(query.grouping)) {
    if (!group_matches(model, group, query.filter)) continue;
    rows.push_back({key, &group, group.history.average(now_s, query.rate_seconds)});
  }
  // Ties (and the name column) by label, so equal rows do not swap places
  // from one refresh to the next.
  std::sort(rows.begin(), rows.end(), [&](const TopRow& a, const TopRow& b) {
    const double va = sort_value(a, query.sort), vb = sort_value(b, query.sort);
    if (va != vb) return query.descending ? va > vb : va < vb;
    const bool label_less = a.group->label < b.group->label;
    const bool label_more = b.group->label < a.group->label;
    if (label_less != label_more)
      return query.sort == Column::name && query.descending ? label_more : label_less;
    return a.key < b.key;
  });
  return rows;
}

std::vector<const TopFlow*> top_flows(const FlowAggregator& model, const TopQuery& query,
                                      const std::string& group_key) {
  std::vector<const TopFlow*> flows;
  const auto& groups = model.groups(query.grouping);
  const auto it = groups.find(group_key);
  if (it == groups.end()) return flows;
  // A group that matched by its label shows all its flows; otherwise only
  // those the filter names.
  const bool all = contains_folded(it->second.label, query.filter);
  for (const std::string& key : it->second.flows)
    if (const TopFlow* f = model.flow(key); f && (all || flow_matches(*f, query.filter)))
      flows.push_back(f);
  std::sort(flows.begin(), flows.end(), [](const TopFlow* a, const TopFlow* b) {
    if (a->open != b->open) return a->open;
    const uint64_t ta = a->in_bytes + a->out_bytes, tb = b->in_bytes + b->out_bytes;
    if (ta != tb) return ta > tb;
    if (a->start_us != b->start_us) return a->start_us > b->start_us;
    return a->remote < b->remote;
  });
  return flows;
}

std::vector<double> rate_series(const TopGroup& group, uint64_t now_s, int seconds) {
  std::vector<double> series;
  for (int i = seconds - 1; i >= 0; i--) {
    if (uint64_t(i) > now_s) continue;
    const RateHistory::Second s = group.history.at(now_s - i);
    series.push_back(s.in_bytes + s.out_bytes);
  }
  return series;
}

}  // namespace procflow
