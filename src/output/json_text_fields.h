// Field writers for the schemas written with a RapidJSON writer (OCSF, ECS):
// a field whose value is unknown is left out, as in the CAR lines; and the
// procflow fields that neither schema has a place for, written the same way
// under OCSF's `unmapped` and ECS's `procflow`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "output/json_serializer.h"
#include "output/json_text.h"

namespace procflow::json_fields {

template <size_t N>
void key(JsonTextWriter& w, const char (&name)[N]) {
  w.Key(name, N - 1);
}

template <size_t N>
void string_field(JsonTextWriter& w, const char (&name)[N], std::string_view v) {
  if (v.empty()) return;
  key(w, name);
  write_json_string(w, v);
}

template <size_t N>
void int_field(JsonTextWriter& w, const char (&name)[N], int64_t v) {
  key(w, name);
  w.Int64(v);
}

template <size_t N>
void u64_field(JsonTextWriter& w, const char (&name)[N], const std::optional<uint64_t>& v) {
  if (!v) return;
  key(w, name);
  w.Uint64(*v);
}

template <size_t N>
void u32_field(JsonTextWriter& w, const char (&name)[N], const std::optional<uint32_t>& v) {
  if (!v) return;
  key(w, name);
  w.Uint(*v);
}

template <size_t N>
void bool_field(JsonTextWriter& w, const char (&name)[N], const std::optional<bool>& v) {
  if (!v) return;
  key(w, name);
  w.Bool(*v);
}

// A mark written only when set, as in the CAR writer.
template <size_t N>
void flag_field(JsonTextWriter& w, const char (&name)[N], bool set) {
  if (set) bool_field(w, name, true);
}

template <size_t N>
void time_field(JsonTextWriter& w, const char (&name)[N], uint64_t unix_us) {
  char buf[rfc3339_us_length];
  write_rfc3339_us(unix_us, buf);
  key(w, name);
  w.String(buf, rfc3339_us_length);
}

template <size_t N>
void ip_field(JsonTextWriter& w, const char (&name)[N], const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN];
  const size_t len = format_ip_text(ip, buf);
  if (len == 0) return;
  key(w, name);
  w.String(buf, static_cast<rapidjson::SizeType>(len));
}

// The CAR fields neither OCSF nor ECS has an attribute for: direction and
// initiator, snapshot and period marks, the local socket's own byte counts
// (the schemas' are oriented source -> destination), namespace, cgroup,
// interface, comm, image marks, name sources and conflicts, canonical names,
// layer-7 text. Into the object the caller opened.
inline void write_procflow_extras(JsonTextWriter& w, const FlowEvent& e) {
  string_field(w, "network_direction", to_string(e.network_direction));
  bool_field(w, "initiated", e.initiated);
  bool_field(w, "snapshot", e.snapshot);
  bool_field(w, "continued", e.continued);
  u64_field(w, "in_bytes", e.in_bytes);
  u64_field(w, "out_bytes", e.out_bytes);
  u64_field(w, "netns", e.netns);
  u64_field(w, "cgroup_id", e.cgroup_id);
  string_field(w, "interface", e.interface);
  string_field(w, "comm", e.comm);
  flag_field(w, "image_deleted", e.image_deleted);
  flag_field(w, "image_memfd", e.image_memfd);
  flag_field(w, "image_truncated", e.image_truncated);
  string_field(w, "src_canonical", e.src_canonical);
  string_field(w, "dest_canonical", e.dest_canonical);
  string_field(w, "src_fqdn_source", to_string(e.src_fqdn_source));
  string_field(w, "dest_fqdn_source", to_string(e.dest_fqdn_source));
  string_field(w, "src_fqdn_conflict", e.src_fqdn_conflict);
  string_field(w, "dest_fqdn_conflict", e.dest_fqdn_conflict);
  string_field(w, "proto_info", e.proto_info);
  string_field(w, "content", e.content);
  if (e.message_direction) string_field(w, "message_direction", to_string(*e.message_direction));
  if (e.content_source) string_field(w, "content_source", to_string(*e.content_source));
  flag_field(w, "content_truncated", e.content_truncated);
}

}  // namespace procflow::json_fields
