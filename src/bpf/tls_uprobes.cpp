#include "bpf/tls_uprobes.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace procflow {
namespace {

bool starts_with(const char* s, std::string_view prefix) {
  return s && std::string_view(s).substr(0, prefix.size()) == prefix;
}

// One uprobe or uretprobe on `symbol` of `library`, in every process (-1).
// libbpf resolves the symbol in the file's ELF symbol tables.
BpfLinkPtr attach_one(bpf_program* prog, const std::string& library, std::string_view symbol,
                      bool retprobe, std::string* error) {
  const std::string name(symbol);
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .func_name = name.c_str());
  errno = 0;
  bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, library.c_str(), 0, &opts);
  if (!link) {
    const int err = errno;
    *error = std::string("cannot attach a ") + (retprobe ? "uretprobe" : "uprobe") + " to " + name +
             " in " + library + ": " +
             (err == ENOENT ? "no such symbol" : std::string(strerror(err)));
    return nullptr;
  }
  return BpfLinkPtr(link);
}

}  // namespace

std::string tls_function_list() {
  std::string out;
  for (size_t i = 0; i < tls_plaintext_function_count; i++) {
    if (!out.empty()) out += ", ";
    out += tls_functions[i].symbol;
  }
  return out;
}

std::string uprobe_support_problem(const std::string& sysfs) {
  // libbpf would fall back to tracefs uprobe_events; procflow asks for the
  // perf PMU (4.17+), which every kernel of its matrix has when uprobes do.
  const std::string type = sysfs + "/bus/event_source/devices/uprobe/type";
  if (access(type.c_str(), R_OK) != 0)
    return "uprobes unsupported: no uprobe PMU (" + type + ": " + strerror(errno) + ")";
  return "";
}

bool is_uprobe_program(const bpf_program* prog) {
  const char* section = bpf_program__section_name(prog);
  return starts_with(section, "uprobe") || starts_with(section, "uretprobe");
}

std::unique_ptr<TlsUprobes> TlsUprobes::attach(const ProgramLookup& program,
                                               const std::string& library, std::string* error) {
  std::unique_ptr<TlsUprobes> out(new TlsUprobes());
  out->library_ = library;
  bpf_program* ret = program(tls_return_program);
  if (!ret) {
    *error = "the TLS return program is not loaded";
    return nullptr;
  }
  for (const auto& f : tls_functions) {
    bpf_program* entry = program(f.entry_program);
    if (!entry) {
      *error = "the TLS program " + std::string(f.entry_program) + " is not loaded";
      return nullptr;
    }
    if (!bpf_program__autoload(entry)) continue;  // its need is not in the plan
    // Return first: a return without its entry finds nothing and is
    // ignored, while an entry without its return would leave the call
    // remembered until the thread's next one.
    auto on_return = attach_one(ret, library, f.symbol, true, error);
    if (!on_return) return nullptr;
    out->links_.push_back(std::move(on_return));
    auto on_entry = attach_one(entry, library, f.symbol, false, error);
    if (!on_entry) return nullptr;
    out->links_.push_back(std::move(on_entry));
  }
  return out;
}

}  // namespace procflow
