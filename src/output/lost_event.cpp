#include "output/lost_event.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "output/json_serializer.h"
#include "output/text_formatter.h"

namespace procflow {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void time_field(Writer& w, const char* key, uint64_t unix_us) {
  char buf[rfc3339_us_length];
  write_rfc3339_us(unix_us, buf);
  w.Key(key);
  w.String(buf, rfc3339_us_length);
}

void count_field(Writer& w, const char* key, uint64_t value) {
  if (!value) return;
  w.Key(key);
  w.Uint64(value);
}

}  // namespace

void append_lost_json(const LossCounts& d, uint64_t since_us, uint64_t now_us, std::string& out) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("object");
  w.String("lost");
  time_field(w, "timestamp", now_us);
  time_field(w, "since", since_us);
  if (d.records_lost()) {
    w.Key("records");
    w.StartObject();
    for (size_t k = 0; k < d.records.size(); k++) {
      if (!d.records[k]) continue;
      const std::string_view name = record_kind_name(k);
      w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
      w.Uint64(d.records[k]);
    }
    w.EndObject();
  }
  bool any_drop = false;
  for (size_t r = 0; r < d.kernel.size(); r++)
    any_drop |= r != PF_DROP_RINGBUF_RESERVE && d.kernel[r];
  if (any_drop) {
    w.Key("drops");
    w.StartObject();
    for (size_t r = 0; r < d.kernel.size(); r++) {
      // Ring-buffer losses are the records above, by kind.
      if (r == PF_DROP_RINGBUF_RESERVE || !d.kernel[r]) continue;
      const std::string_view key = drop_reason_key(r);
      w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      w.Uint64(d.kernel[r]);
    }
    w.EndObject();
  }
  count_field(w, "undecodable", d.undecodable);
  count_field(w, "flows_end_lost", d.flows_end_lost);
  count_field(w, "events_not_written", d.events_not_written);
  w.EndObject();
  out.append(buffer.GetString(), buffer.GetSize());
  out.push_back('\n');
}

void append_lost_text(const LossCounts& d, uint64_t since_us, uint64_t now_us, std::string& out) {
  (void)since_us;
  append_time_of_day(out, now_us);
  out += " LOST   ";
  auto item = [&](std::string_view what, uint64_t n) {
    if (!n) return;
    out += ' ';
    out += what;
    out += '=';
    out += std::to_string(n);
  };
  for (size_t k = 0; k < d.records.size(); k++) {
    if (!d.records[k]) continue;
    out += " record:";
    item(record_kind_name(k), d.records[k]);
  }
  for (size_t r = 0; r < d.kernel.size(); r++)
    if (r != PF_DROP_RINGBUF_RESERVE) item(drop_reason_key(r), d.kernel[r]);
  item("undecodable", d.undecodable);
  item("flows_end_lost", d.flows_end_lost);
  item("events_not_written", d.events_not_written);
  out.push_back('\n');
}

}  // namespace procflow
