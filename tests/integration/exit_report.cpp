// Parsing procflow's exit report; see exit_report.h.
#include "exit_report.h"

#include <regex>

namespace procflow_it {

std::optional<TablesAtStop> tables_at_stop(const std::string& stderr_text) {
  static const std::regex line(
      R"(open at stop: (\d+) TCP flows \((\d+) ending, (\d+) endpoints\), (\d+) UDP flows \()"
      R"((\d+) endpoints\), (\d+) processes \((\d+) exited\), (\d+) DNS names, (\d+) DNS )"
      R"(queries, (\d+) DNS answers waiting, (\d+) mount namespaces \((\d+) user names\), )"
      R"((\d+) cgroups \((\d+) processes' container facts\), (\d+) pods)");
  std::smatch m;
  if (!std::regex_search(stderr_text, m, line)) return std::nullopt;
  auto n = [&](size_t i) { return std::stoll(m[i]); };
  return TablesAtStop{n(1), n(2),  n(3),  n(4),  n(5),  n(6),  n(7), n(8),
                      n(9), n(10), n(11), n(12), n(13), n(14), n(15)};
}

std::optional<ExitTotals> exit_totals(const std::string& stderr_text) {
  static const std::regex line(
      R"((\d+) records, (\d+) flows started, (\d+) ended, (\d+) records lost, (\d+) events not written)");
  std::smatch m;
  if (!std::regex_search(stderr_text, m, line)) return std::nullopt;
  auto n = [&](size_t i) { return std::stoll(m[i]); };
  return ExitTotals{n(1), n(2), n(3), n(4), n(5)};
}

}  // namespace procflow_it
