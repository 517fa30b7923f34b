#include "cli/output_options.h"

#include <unistd.h>

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
}

bool build_output_routes(const OutputArgs& args, size_t queue_bytes,
                         std::vector<OutputRoute>* routes, std::string* error) {
  const std::vector<std::string> uris =
      args.outputs.empty() ? std::vector<std::string>{"-"} : args.outputs;
  for (const std::string& uri : uris) {
    // Text only where a person reads it: stdout on a terminal, unless asked.
    std::string layout = args.format;
    if (layout.empty() && (args.schema.empty() || args.schema == "car"))
      layout = is_stdout_uri(uri) && isatty(STDOUT_FILENO) ? "text" : "json";
    auto format = EventFormat::from_names(args.schema, layout, error);
    if (!format) return false;
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
