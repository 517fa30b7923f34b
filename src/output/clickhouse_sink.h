// Flow events into a ClickHouse table over HTTP: rows are buffered and
// POSTed as one `INSERT INTO db.table FORMAT JSONEachRow` per batch (the
// settings input_format_skip_unknown_fields=1, so keys the table lacks are
// ignored). Rows are made by append_clickhouse_row (clickhouse_row.h); lines
// that are not flow events are skipped. The table: deploy/clickhouse/flows.sql.
//
// A batch goes out when it has `max_rows` rows or its oldest row is
// `max_age` old (the SinkQueue's thread wakes for that: next_deadline()),
// and at drain (flush_all). A batch the server did not acknowledge with 200
// (down, refusing, timing out, answering 5xx or 404) is kept whole, with
// what arrives meanwhile, and sent again after a backoff: 100 ms doubling up
// to `max_backoff`. The buffer is bounded: rows beyond `max_buffer_bytes`
// are dropped and counted (events_dropped()). A batch the server refused as
// malformed (HTTP 400) is dropped and counted too: sending it again cannot
// succeed and would hold back every row after it.
//
// Delivery is at-least-once only in one corner: a request that timed out
// after the server committed it is sent again, and the rows are then in the
// table twice. (18.16's insert_deduplicate works only for Replicated tables,
// and a query id does not deduplicate.) The default 30 s request timeout
// makes that corner rare; everything else is exactly once: a batch is either
// acknowledged or retried whole, and one INSERT below 1 048 576 rows
// (max_insert_block_size) is committed whole or not at all.
//
// Not thread-safe: its SinkQueue's thread is its only user.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "output/sink.h"

namespace httplib {
class Client;
}

namespace procflow {

struct ClickHouseTarget {
  std::string host;
  uint16_t port = 8123;
  std::string database = "default";
  std::string table;
  std::string user;  // none: the server's default user
  std::string password;
  uint64_t max_rows = 10000;
  std::chrono::milliseconds max_age{1000};
  uint64_t max_buffer_bytes = 64u << 20;
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds request_timeout{30000};
};

class ClickHouseSink : public Sink {
 public:
  // Nothing is sent until the first batch: a server that is not up yet is
  // not an error here. `database` and `table` must be plain identifiers
  // (letters, digits, '_'); open_sink checks that.
  explicit ClickHouseSink(ClickHouseTarget target);
  ~ClickHouseSink() override;
  ClickHouseSink(const ClickHouseSink&) = delete;
  ClickHouseSink& operator=(const ClickHouseSink&) = delete;

  void write(std::string_view lines) override;
  void flush() override;      // sends the batch when full, old enough, or its retry is due
  void flush_all() override;  // sends what is held now
  std::optional<Clock::time_point> next_deadline() const override;
  bool broken() const override { return false; }
  int last_error() const override { return 0; }
  uint64_t bytes_written() const override { return bytes_written_; }
  uint64_t events_dropped() const override { return dropped_; }
  uint64_t events_held() const override { return rows_; }

  uint64_t rows_inserted() const { return rows_inserted_; }
  uint64_t events_skipped() const { return skipped_; }  // not flow events
  uint64_t failed_requests() const { return failed_requests_; }
  // Why the last request failed ("connection refused", the server's error text); empty after a
  // success.
  const std::string& last_failure() const { return last_failure_; }

 private:
  void send();
  size_t row_bytes() const { return batch_.size() - query_size_; }

  ClickHouseTarget target_;
  std::unique_ptr<httplib::Client> client_;
  std::string batch_;  // "INSERT ... FORMAT JSONEachRow\n" then the rows, one per line
  size_t query_size_ = 0;
  uint64_t rows_ = 0;
  Clock::time_point oldest_{};                 // when the oldest held row was taken
  std::optional<Clock::time_point> retry_at_;  // set while the server fails us
  std::chrono::milliseconds backoff_{0};
  uint64_t bytes_written_ = 0;
  uint64_t rows_inserted_ = 0;
  uint64_t dropped_ = 0;
  uint64_t skipped_ = 0;
  uint64_t failed_requests_ = 0;
  std::string last_failure_;
};

// True for a name ClickHouse takes unquoted and procflow may quote safely.
bool is_plain_identifier(std::string_view name);

}  // namespace procflow
