#include "cli/output_options.h"

#include <unistd.h>

#include <cstdlib>

#include "cli/non_empty_option.h"
#include "output/file_sink_options.h"
#include "output/sink_uri.h"

namespace procflow {

void add_output_options(CLI::App* cmd, OutputArgs* args) {
  cmd->add_option("--output", args->outputs,
                  "where events go, repeatable: - (stdout, the default), "
                  "file:PATH[?max_size_kib=N&keep=N&fsync=never|rotate|batch], syslog:, "
                  "syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT or "
                  "clickhouse+http://HOST:PORT/?table=T (docs/operations.md#output-uris)")
      ->type_name("URI")
      ->check(non_empty("an output, e.g. - or file:/var/log/procflow/flows.json"));
  cmd->add_option("--schema", args->schema,
                  "what each event says: car (MITRE CAR flow, the default), ocsf (Network "
                  "Activity 4001) or ecs (Elastic Common Schema)")
      ->check(CLI::IsMember({"car", "ocsf", "ecs"}));
  cmd->add_option("--format", args->format, "text (default on a terminal) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--color", args->colour,
                  "colour text output by action and direction: auto (a terminal, unless "
                  "NO_COLOR is set), always or never (default auto)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

bool colour_wanted(std::string_view mode, bool to_terminal, const char* no_color) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return to_terminal && (no_color == nullptr || *no_color == '\0');
}

bool build_output_routes(const OutputArgs& args, size_t queue_bytes,
                         std::vector<OutputRoute>* routes, std::string* error) {
  const std::vector<std::string> uris =
      args.outputs.empty() ? std::vector<std::string>{"-"} : args.outputs;
  for (const std::string& uri : uris) {
    // Text only where a person reads it: stdout on a terminal, unless asked.
    const bool to_terminal = is_stdout_uri(uri) && isatty(STDOUT_FILENO);
    std::string layout = args.format;
    if (layout.empty() && (args.schema.empty() || args.schema == "car"))
      layout = to_terminal ? "text" : "json";
    auto format = EventFormat::from_names(args.schema, layout, error);
    if (!format) return false;
    format->colour = format->layout == Layout::text &&
                     colour_wanted(args.colour, to_terminal, std::getenv("NO_COLOR"));
    OutputRoute route;
    route.uri = uri;
    // file:PATH?max_size_kib=…: the options land where the config's rotate/fsync keys do.
    bool had_options = false;
    if (!take_file_uri_options(&route.uri, &route.file, &had_options, error)) {
      *error = "--output " + uri + ": " + *error;
      return false;
    }
    route.format = *format;
    route.queue_bytes = queue_bytes;
    routes->push_back(std::move(route));
  }
  return true;
}

}  // namespace procflow
