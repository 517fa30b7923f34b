// Auditing a run's flows against the programs' accounts; see flow_audit.h.
#include "flow_audit.h"

#include <algorithm>
#include <sstream>

#include "flow_query.h"

namespace procflow_it {
namespace {

constexpr size_t kExamples = 20;

// One flow as procflow reported it: its events share the 5-tuple, the
// orientation, the namespace and the start_time.
struct ReportedFlow {
  int64_t start_us = 0;
  std::vector<const JsonLine*> starts;
  std::vector<const JsonLine*> ends;
};

std::string text_or(const std::optional<std::string>& s, const char* none = "-") {
  return s ? *s : none;
}
std::string int_or(const std::optional<int64_t>& i) {
  return i ? std::to_string(*i) : "-";
}

// What pairs a reported flow with a known one: everything but the local
// address (absent for an unconnected UDP socket) and the time.
std::string pairing_key(const std::string& transport, int64_t src_port, const std::string& dest_ip,
                        int64_t dest_port, bool initiated) {
  std::ostringstream key;
  key << transport << ' ' << src_port << ' ' << dest_ip << ' ' << dest_port << ' '
      << (initiated ? "out" : "in");
  return key.str();
}

std::string identity_of(const JsonLine& e) {
  std::ostringstream id;
  id << text_or(e.str("transport_protocol")) << ' ' << text_or(e.str("src_ip")) << ' '
     << int_or(e.integer("src_port")) << ' ' << text_or(e.str("dest_ip")) << ' '
     << int_or(e.integer("dest_port")) << ' ' << e.boolean("initiated").value_or(false) << ' '
     << int_or(e.integer("netns")) << ' ' << text_or(e.str("start_time"));
  return id.str();
}

class Auditor {
 public:
  explicit Auditor(FlowAudit& audit) : a_(audit) {}

  void problem(const std::string& text) {
    if (a_.examples.size() < kExamples) a_.examples.push_back(text);
  }

  void mismatch(const KnownFlow& k, const std::string& field, const std::string& want,
                const JsonLine& e) {
    a_.mismatches[field]++;
    problem(k.what + ": " + field + " should be " + want + ": " + e.raw());
  }

  void check_owner(const KnownFlow& k, const JsonLine& e, bool is_start) {
    const auto pid = e.integer("pid");
    if (!pid) {
      if (!is_start && k.owner_may_stay_unknown) {
        a_.ended_without_owner++;
      } else if (!is_start || k.owner_on_start) {
        mismatch(k, "pid", "present", e);
      }
      return;
    }
    if (!k.pids.count(*pid)) {
      std::string want;
      for (int64_t p : k.pids) want += (want.empty() ? "" : " or ") + std::to_string(p);
      mismatch(k, "pid", want, e);
    }
    if (k.ppid && e.integer("ppid") != k.ppid) mismatch(k, "ppid", std::to_string(*k.ppid), e);
    if (e.str("exe") != k.exe) mismatch(k, "exe", k.exe, e);
    if (e.str("image_path") != k.image_path) mismatch(k, "image_path", k.image_path, e);
    if (e.integer("uid") != k.uid) mismatch(k, "uid", std::to_string(k.uid), e);
  }

  void check_event(const KnownFlow& k, const JsonLine& e, bool is_start) {
    check_owner(k, e, is_start);
    if (!k.src_ip && e.has("src_ip")) mismatch(k, "src_ip", "absent (wildcard)", e);
    if (k.src_ip && !same_ip(e.str("src_ip").value_or(""), *k.src_ip))
      mismatch(k, "src_ip", *k.src_ip, e);
    if (k.dest_fqdn && e.str("dest_fqdn") != k.dest_fqdn) mismatch(k, "dest_fqdn", *k.dest_fqdn, e);
    if (is_start) return;
    const bool rst_on_wire = e.str("tcp_flags").value_or("").find("RST") != std::string::npos;
    if (k.reset_if_wire_saw_one && k.end_reason != "reset" && rst_on_wire &&
        e.str("end_reason") == "reset") {
      a_.orderly_ended_by_rst++;
    } else if (e.str("end_reason") != k.end_reason) {
      mismatch(k, "end_reason", k.end_reason, e);
    }
    if (k.in_bytes && e.integer("in_bytes") != k.in_bytes)
      mismatch(k, "in_bytes", std::to_string(*k.in_bytes), e);
    if (k.out_bytes && e.integer("out_bytes") != k.out_bytes)
      mismatch(k, "out_bytes", std::to_string(*k.out_bytes), e);
    if (k.packet_count && e.integer("packet_count") != k.packet_count)
      mismatch(k, "packet_count", std::to_string(*k.packet_count), e);
  }

  void check_pair(const KnownFlow& k, const ReportedFlow& r) {
    a_.matched++;
    for (const JsonLine* e : r.starts) check_event(k, *e, true);
    for (const JsonLine* e : r.ends) check_event(k, *e, false);
  }

 private:
  FlowAudit& a_;
};

}  // namespace

size_t FlowAudit::problems() const {
  size_t n = missing + unexpected + duplicate_starts + duplicate_ends + without_start + without_end;
  for (const auto& [field, count] : mismatches) n += count;
  return n;
}

std::string FlowAudit::describe() const {
  std::ostringstream out;
  out << reported << " flows reported in scope, " << expected << " expected, " << matched
      << " matched; " << missing << " missing, " << unexpected << " unexpected, "
      << duplicate_starts << " with several starts, " << duplicate_ends << " with several ends, "
      << without_start << " without a start, " << without_end << " without an end";
  for (const auto& [field, count] : mismatches) out << "; " << count << " wrong " << field;
  for (const auto& example : examples) out << "\n  " << example;
  return out.str();
}

FlowAudit audit_flows(const std::vector<JsonLine>& events, const std::vector<KnownFlow>& known,
                      const std::function<bool(const JsonLine&)>& in_scope) {
  FlowAudit audit;
  Auditor auditor(audit);

  std::map<std::string, ReportedFlow> by_identity;
  for (const JsonLine& e : events) {
    // Lifecycle only: what a flow said (`message`) is checked by the message suites.
    if (e.str("object") != "flow" || !in_scope(e) || e.str("action") == "message") continue;
    ReportedFlow& flow = by_identity[identity_of(e)];
    flow.start_us = parse_rfc3339_us(e.str("start_time").value_or("")).value_or(0);
    (e.str("action") == "start" ? flow.starts : flow.ends).push_back(&e);
  }
  std::map<std::string, std::vector<const ReportedFlow*>> reported;
  for (const auto& [identity, flow] : by_identity) {
    audit.reported++;
    const JsonLine& any = flow.starts.empty() ? *flow.ends.front() : *flow.starts.front();
    if (flow.starts.size() > 1) audit.duplicate_starts++;
    if (flow.ends.size() > 1) audit.duplicate_ends++;
    if (flow.starts.empty()) audit.without_start++;
    if (flow.ends.empty()) audit.without_end++;
    if (flow.starts.size() != 1 || flow.ends.size() != 1)
      auditor.problem(std::to_string(flow.starts.size()) + " starts and " +
                      std::to_string(flow.ends.size()) + " ends: " + any.raw());
    reported[pairing_key(any.str("transport_protocol").value_or(""),
                         any.integer("src_port").value_or(0), any.str("dest_ip").value_or(""),
                         any.integer("dest_port").value_or(0),
                         any.boolean("initiated").value_or(false))]
        .push_back(&flow);
  }

  std::map<std::string, std::vector<const KnownFlow*>> expected;
  for (const KnownFlow& k : known) {
    audit.expected++;
    expected[pairing_key(k.transport, k.src_port, k.dest_ip, k.dest_port, k.initiated)].push_back(
        &k);
  }

  for (auto& [key, knowns] : expected) {
    std::sort(knowns.begin(), knowns.end(),
              [](const KnownFlow* a, const KnownFlow* b) { return a->order < b->order; });
    auto found = reported.find(key);
    std::vector<const ReportedFlow*> flows =
        found == reported.end() ? std::vector<const ReportedFlow*>{} : found->second;
    std::sort(flows.begin(), flows.end(), [](const ReportedFlow* a, const ReportedFlow* b) {
      return a->start_us < b->start_us;
    });
    if (flows.size() != knowns.size()) {
      // Which of them is which cannot be told any more: count, do not pair.
      if (knowns.size() > flows.size()) audit.missing += knowns.size() - flows.size();
      if (flows.size() > knowns.size()) audit.unexpected += flows.size() - knowns.size();
      auditor.problem(key + ": " + std::to_string(knowns.size()) + " flows expected (first: " +
                      knowns.front()->what + "), " + std::to_string(flows.size()) + " reported");
    } else {
      for (size_t i = 0; i < flows.size(); ++i) auditor.check_pair(*knowns[i], *flows[i]);
    }
    if (found != reported.end()) reported.erase(found);
  }
  for (const auto& [key, flows] : reported) {
    audit.unexpected += flows.size();
    const ReportedFlow& f = *flows.front();
    auditor.problem("not expected: " + (f.starts.empty() ? f.ends : f.starts).front()->raw());
  }
  return audit;
}

}  // namespace procflow_it
