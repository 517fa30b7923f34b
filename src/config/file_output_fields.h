// The settings of an `outputs:` entry that only a file output takes: the
// rotation and fsync options, given either as keys of the entry
//   - uri: file:/var/log/procflow/flows.json
//     rotate: {max_size_kib: 102400, keep: 5}
//     fsync: rotate
// or in its URI (file:PATH?max_size_kib=102400&keep=5&fsync=rotate), the form
// `--output` takes; both fill OutputRoute::file. Kept apart from
// service_config.cpp so the file options are read in one place.
#pragma once

#include <string>

#include "config/yaml_fields.h"
#include "output/event_output.h"

namespace procflow {

// Reads the options of `route->uri` (then left without them) and the entry's
// `rotate` and `fsync` keys into route->file. Errors: those keys on an output
// that is not a file, an option given both ways, values out of range.
void read_file_output(YamlFields& y, const YAML::Node& entry, const std::string& path,
                      OutputRoute* route);

}  // namespace procflow
