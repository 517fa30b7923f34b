#include "cli/usage_error.h"

#include <optional>
#include <string>
#include <vector>

namespace procflow {
namespace {

constexpr int usage_error_status = 2;

// "trace, probe or replay"
std::string subcommand_names(const CLI::App& app) {
  const std::vector<const CLI::App*> all =
      app.get_subcommands([](const CLI::App*) { return true; });
  std::string out;
  for (size_t i = 0; i < all.size(); i++) {
    if (i) out += i + 1 == all.size() ? " or " : ", ";
    out += all[i]->get_name();
  }
  return out;
}

// A missing subcommand, the one usage error CLI11 words vaguely ("A subcommand is required"
// even for `procflow frobnicate`): what was wrong and which subcommands there are; nullopt for
// every other error.
std::optional<std::string> subcommand_problem(const CLI::App& app, const CLI::ParseError& error) {
  if (!dynamic_cast<const CLI::RequiredError*>(&error) || !app.get_subcommands().empty())
    return std::nullopt;
  const std::vector<std::string> left = app.remaining();
  for (const std::string& word : left)
    if (!word.empty() && word.front() != '-')
      return "unknown subcommand '" + word + "': expected " + subcommand_names(app);
  std::string message = "a subcommand is required: " + subcommand_names(app);
  if (!left.empty()) message = "unknown option '" + left.front() + "'; " + message;
  return message;
}

}  // namespace

int report_parse_error(CLI::App& app, const CLI::ParseError& error) {
  int status;
  if (const auto message = subcommand_problem(app, error))
    status = app.exit(CLI::ExtrasError(*message, CLI::ExitCodes::ExtrasError));
  else
    status = app.exit(error);
  return status == 0 ? 0 : usage_error_status;
}

}  // namespace procflow
