#include "top/flow_aggregator.h"

#include <algorithm>

#include "output/flow_orientation.h"

namespace procflow {
namespace {

// The events of one flow (its start, periods and end) share the tuple; the
// two sockets of a connection on this host share it too and differ in who
// initiated, and the same tuple in two network namespaces is two flows.
void flow_key(const FlowEvent& e, std::string& key) {
  key.clear();
  key += std::to_string(e.transport);
  for (const IpAddress* ip : {&e.src_ip, &e.dest_ip}) {
    key += '|';
    key.append(reinterpret_cast<const char*>(ip->bytes.data()), ip->size());
  }
  key += '|' + std::to_string(e.src_port) + '|' + std::to_string(e.dest_port);
  key += e.initiated.value_or(true) ? "|i" : "|a";
  if (e.netns) key += '|' + std::to_string(*e.netns);
}

std::string address_text(const IpAddress& ip) {
  const IpAddress plain = ip.unmapped();
  if (!plain.is_set()) return "*";
  return plain.family == 6 ? "[" + plain.to_string() + "]" : plain.to_string();
}

std::string host_text(const IpAddress& ip, const std::string& fqdn) {
  return fqdn.empty() ? address_text(ip) : fqdn;
}

std::string endpoint_text(const IpAddress& ip, const std::string& fqdn, uint16_t port) {
  return host_text(ip, fqdn) + ":" + std::to_string(port);
}

std::string process_label(const FlowEvent& e) {
  std::string label = e.pid ? std::to_string(*e.pid) : "?";
  label += ' ';
  label += e.exe.empty() ? (e.comm.empty() ? "?" : e.comm) : e.exe;
  if (!e.container_name.empty())
    label += " [" + e.container_name + "]";
  else if (!e.container_id.empty())
    label += " [" + e.container_id.substr(0, 12) + "]";
  return label;
}

// Until a message names it, a flow's protocol is its transport and the
// responder's port, the usual hint ("TCP/443").
std::string protocol_label(const FlowEvent& e) {
  if (!e.application_protocol.empty()) return e.application_protocol;
  std::string transport(transport_name(e.transport));
  if (transport.empty()) transport = std::to_string(e.transport);
  return transport + "/" + std::to_string(e.dest_port);
}

std::string group_label(Grouping g, const FlowEvent& e) {
  switch (g) {
    case Grouping::process:
      return process_label(e);
    case Grouping::remote:
      return local_is_source(e) ? host_text(e.dest_ip, e.dest_fqdn)
                                : host_text(e.src_ip, e.src_fqdn);
    case Grouping::protocol:
      return protocol_label(e);
  }
  return {};
}

// Two processes with the same pid and name (a pid reused in another
// container) stay apart through the container.
std::string group_key(Grouping g, const FlowEvent& e) {
  if (g != Grouping::process) return group_label(g, e);
  return process_label(e) + '\t' + e.container_id;
}

uint64_t event_time(const FlowEvent& e) {
  return e.timestamp_us ? e.timestamp_us : e.end_time_us.value_or(e.start_time_us.value_or(0));
}

}  // namespace

std::string_view to_string(Grouping g) {
  switch (g) {
    case Grouping::process:
      return "process";
    case Grouping::remote:
      return "remote";
    case Grouping::protocol:
      return "protocol";
  }
  return "";
}

const TopFlow* FlowAggregator::flow(const std::string& key) const {
  const auto it = flows_.find(key);
  return it == flows_.end() ? nullptr : &it->second.view;
}

TopGroup& FlowAggregator::group(Grouping g, const std::string& key, const FlowEvent& e) {
  auto [it, created] = groups_[static_cast<size_t>(g)].try_emplace(key);
  if (created) it->second.label = group_label(g, e);
  it->second.last_us = std::max(it->second.last_us, now_us_);
  return it->second;
}

FlowAggregator::FlowState& FlowAggregator::find_or_start(const std::string& key, const FlowEvent& e,
                                                         bool* created) {
  auto [it, fresh] = flows_.try_emplace(key);
  *created = fresh;
  FlowState& f = it->second;
  if (!fresh) return f;
  const bool local_src = local_is_source(e);
  f.view.local = local_src ? endpoint_text(e.src_ip, e.src_fqdn, e.src_port)
                           : endpoint_text(e.dest_ip, e.dest_fqdn, e.dest_port);
  f.view.remote = local_src ? endpoint_text(e.dest_ip, e.dest_fqdn, e.dest_port)
                            : endpoint_text(e.src_ip, e.src_fqdn, e.src_port);
  f.view.transport = std::string(transport_name(e.transport));
  f.view.protocol = e.application_protocol;
  f.view.process = process_label(e);
  f.view.initiated = e.initiated.value_or(true);
  for (size_t g = 0; g < kGroupings; g++) f.group_keys[g] = group_key(Grouping(g), e);
  open(key, f, e);
  return f;
}

void FlowAggregator::open(const std::string& key, FlowState& f, const FlowEvent& e) {
  f.view.open = true;
  f.view.in_bytes = f.view.out_bytes = 0;
  f.view.start_us = e.start_time_us.value_or(event_time(e));
  f.view.end_us = 0;
  f.period_start_us = f.view.start_us;
  f.new_connection = false;
  open_flows_++;
  for (size_t g = 0; g < kGroupings; g++) {
    TopGroup& grp = group(Grouping(g), f.group_keys[g], e);
    grp.open++;
    grp.flows.insert(key);
  }
}

// A message names the protocol after the flow started: the flow moves to its
// protocol's group with its connection (what it reported before stays where
// it was counted).
void FlowAggregator::set_protocol(const std::string& key, FlowState& f, const FlowEvent& e) {
  if (e.application_protocol.empty() || e.application_protocol == f.view.protocol) return;
  f.view.protocol = e.application_protocol;
  const size_t p = static_cast<size_t>(Grouping::protocol);
  const std::string new_key = group_key(Grouping::protocol, e);
  if (new_key == f.group_keys[p]) return;
  if (auto old = groups_[p].find(f.group_keys[p]); old != groups_[p].end()) {
    old->second.flows.erase(key);
    if (f.view.open && old->second.open) old->second.open--;
    if (f.new_connection && old->second.connections) old->second.connections--;
  }
  f.group_keys[p] = new_key;
  TopGroup& grp = group(Grouping::protocol, new_key, e);
  grp.flows.insert(key);
  if (f.view.open) grp.open++;
  if (f.new_connection) grp.connections++;
}

void FlowAggregator::report(FlowState& f, const FlowEvent& e) {
  const uint64_t in = e.in_bytes.value_or(0), out = e.out_bytes.value_or(0);
  const uint64_t to_us = e.end_time_us.value_or(event_time(e));
  // A period's own start when the event says (an interval end narrows it).
  const uint64_t from_us = std::max(f.period_start_us, e.start_time_us.value_or(0));
  f.view.in_bytes += in;
  f.view.out_bytes += out;
  for (size_t g = 0; g < kGroupings; g++) {
    TopGroup& grp = group(Grouping(g), f.group_keys[g], e);
    grp.in_bytes += in;
    grp.out_bytes += out;
    grp.history.spread(now_s(), from_us, to_us, in, out);
  }
  f.period_start_us = to_us;
}

void FlowAggregator::close(FlowState& f, uint64_t now_us) {
  if (!f.view.open) return;
  f.view.open = false;
  f.view.end_us = now_us;
  open_flows_--;
  for (size_t g = 0; g < kGroupings; g++) {
    auto it = groups_[g].find(f.group_keys[g]);
    if (it != groups_[g].end() && it->second.open) it->second.open--;
  }
}

void FlowAggregator::add(const FlowEvent& e) {
  events_++;
  now_us_ = std::max(now_us_, event_time(e));
  flow_key(e, key_);
  bool created = false;
  FlowState& f = find_or_start(key_, e, &created);
  set_protocol(key_, f, e);
  switch (e.action) {
    case FlowAction::start: {
      // A start for a key still open is the next connection on a reused
      // tuple whose end was lost, or a continued period: the flow goes on.
      const bool new_connection = !e.snapshot.value_or(false) && !e.continued.value_or(false);
      if (!created && !f.view.open) open(key_, f, e);  // the tuple again, after its end
      if (e.continued.value_or(false) && e.start_time_us) f.period_start_us = *e.start_time_us;
      if (new_connection) f.new_connection = true;
      if (new_connection)
        for (size_t g = 0; g < kGroupings; g++) {
          TopGroup& grp = group(Grouping(g), f.group_keys[g], e);
          grp.connections++;
          grp.history.add(now_s(), event_time(e) / 1'000'000, 0, 0, 1);
        }
      break;
    }
    case FlowAction::message:
      break;
    case FlowAction::end:
      report(f, e);
      if (e.end_reason != EndReason::interval) close(f, event_time(e));
      break;
  }
}

void FlowAggregator::expire(uint64_t now_us) {
  now_us_ = std::max(now_us_, now_us);
  for (auto it = flows_.begin(); it != flows_.end();) {
    const TopFlow& v = it->second.view;
    if (v.open || v.end_us + options_.linger_us > now_us_) {
      ++it;
      continue;
    }
    for (size_t g = 0; g < kGroupings; g++)
      if (auto grp = groups_[g].find(it->second.group_keys[g]); grp != groups_[g].end())
        grp->second.flows.erase(it->first);
    it = flows_.erase(it);
  }
  for (auto& groups : groups_)
    std::erase_if(groups, [&](const auto& kv) {
      const TopGroup& grp = kv.second;
      return grp.open == 0 && grp.flows.empty() && grp.last_us + options_.group_idle_us <= now_us_;
    });
}

}  // namespace procflow
