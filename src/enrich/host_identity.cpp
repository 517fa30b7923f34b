// Host name and FQDN detection from gethostname() and the hosts file.
#include "enrich/host_identity.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

namespace procflow {
namespace {

// Far more than any real hosts file; a bigger one is read only in part.
constexpr size_t kMaxHostsBytes = 1 << 20;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Splits a hosts line (comment already removed) on blanks.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  constexpr std::string_view blanks = " \t\r\v\f";
  size_t pos = line.find_first_not_of(blanks);
  while (pos != std::string_view::npos) {
    const size_t end = line.find_first_of(blanks, pos);
    out.push_back(line.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = line.find_first_not_of(blanks, end);
  }
  return out;
}

// The dotted name that a hosts line listing `name` gives for it: the line's
// canonical (first) name when dotted, as the resolver would report, else
// its first dotted alias. Empty when no line lists `name` with a dotted name.
std::string find_fqdn(std::string_view name, std::string_view hosts) {
  while (!hosts.empty()) {
    const size_t eol = hosts.find('\n');
    std::string_view line = hosts.substr(0, eol);
    hosts = eol == std::string_view::npos ? std::string_view{} : hosts.substr(eol + 1);
    line = line.substr(0, line.find('#'));

    const auto f = fields(line);
    if (f.size() < 2) continue;  // an address alone names nothing
    bool lists_name = false;
    for (size_t i = 1; i < f.size(); ++i) lists_name = lists_name || iequals(f[i], name);
    if (!lists_name) continue;
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i].find('.') != std::string_view::npos) return std::string(f[i]);
    }
  }
  return "";
}

}  // namespace

HostIdentity HostIdentity::from(std::string_view name, std::string_view hosts_file_text) {
  HostIdentity id;
  id.hostname = std::string(name.substr(0, name.find('.')));
  if (name.find('.') != std::string_view::npos || name.empty()) {
    id.fqdn = std::string(name);
    return id;
  }
  id.fqdn = find_fqdn(name, hosts_file_text);
  if (id.fqdn.empty()) id.fqdn = std::string(name);
  return id;
}

HostIdentity HostIdentity::detect(const std::string& etc_root) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
  if (const char* node = std::getenv("PROCFLOW_NODE_NAME"); node && *node)
    std::strncpy(name, node, sizeof name - 1);

  std::string hosts;
  std::ifstream in(etc_root + "/hosts", std::ios::binary);
  if (in) {
    hosts.resize(kMaxHostsBytes);
    in.read(hosts.data(), static_cast<std::streamsize>(hosts.size()));
    hosts.resize(static_cast<size_t>(in.gcount()));
  }
  return from(name, hosts);
}

}  // namespace procflow
