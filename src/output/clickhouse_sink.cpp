// Batched HTTP inserts into ClickHouse (see clickhouse_sink.h).
#include "output/clickhouse_sink.h"

#include <httplib.h>

#include <algorithm>

#include "output/clickhouse_row.h"

namespace procflow {
namespace {

using namespace std::chrono_literals;

constexpr auto kFirstBackoff = 100ms;
constexpr auto kConnectTimeout = 2s;

}  // namespace

bool is_plain_identifier(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

ClickHouseSink::ClickHouseSink(ClickHouseTarget target)
    : target_(std::move(target)),
      client_(std::make_unique<httplib::Client>(target_.host, target_.port)) {
  client_->set_keep_alive(true);
  client_->set_connection_timeout(kConnectTimeout);
  client_->set_read_timeout(target_.request_timeout);
  client_->set_write_timeout(target_.request_timeout);
  if (!target_.user.empty()) client_->set_basic_auth(target_.user, target_.password);
  // The statement travels in the body, ahead of its rows: no URL encoding,
  // and the rows never need copying into a request of their own.
  batch_ = "INSERT INTO `" + target_.database + "`.`" + target_.table + "` FORMAT JSONEachRow\n";
  query_size_ = batch_.size();
}

ClickHouseSink::~ClickHouseSink() = default;

void ClickHouseSink::write(std::string_view lines) {
  while (!lines.empty()) {
    const size_t newline = lines.find('\n');
    const std::string_view line = lines.substr(0, newline);
    lines = newline == std::string_view::npos ? std::string_view() : lines.substr(newline + 1);
    if (line.empty()) continue;
    const size_t before = batch_.size();
    if (!append_clickhouse_row(line, &batch_)) {
      skipped_++;
      continue;
    }
    if (row_bytes() > target_.max_buffer_bytes) {
      batch_.resize(before);  // the buffer is full (the server is down): this row is lost
      dropped_++;
      continue;
    }
    if (rows_++ == 0) oldest_ = Clock::now();
  }
}

void ClickHouseSink::flush() {
  if (rows_ == 0) return;
  const auto now = Clock::now();
  if (retry_at_) {
    if (now >= *retry_at_) send();
    return;
  }
  if (rows_ >= target_.max_rows || now >= oldest_ + target_.max_age) send();
}

void ClickHouseSink::flush_all() {
  if (rows_ == 0) return;
  if (retry_at_ && Clock::now() < *retry_at_) return;
  send();
}

std::optional<Sink::Clock::time_point> ClickHouseSink::next_deadline() const {
  if (rows_ == 0) return std::nullopt;
  if (retry_at_) return retry_at_;
  return oldest_ + target_.max_age;
}

void ClickHouseSink::send() {
  const auto result =
      client_->Post("/?input_format_skip_unknown_fields=1", batch_, "application/x-ndjson");
  const bool ok = result && result->status == 200;
  const bool malformed = result && result->status == 400;
  if (ok || malformed) {
    if (ok) {
      bytes_written_ += row_bytes();
      rows_inserted_ += rows_;
      last_failure_.clear();
    } else {
      dropped_ += rows_;
      failed_requests_++;
      last_failure_ = "HTTP 400: " + result->body.substr(0, 500);
    }
    batch_.resize(query_size_);
    rows_ = 0;
    retry_at_.reset();
    backoff_ = 0ms;
    return;
  }
  failed_requests_++;
  last_failure_ =
      result ? "HTTP " + std::to_string(result->status) + ": " + result->body.substr(0, 500)
             : httplib::to_string(result.error());
  backoff_ = backoff_ == 0ms ? std::chrono::milliseconds(kFirstBackoff)
                             : std::min(backoff_ * 2, target_.max_backoff);
  retry_at_ = Clock::now() + backoff_;
}

}  // namespace procflow
