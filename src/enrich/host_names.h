// The CAR *_hostname fields are the short form of the *_fqdn ones.
#pragma once

#include <string_view>

#include "procflow/flow_event.h"

namespace procflow {

// The first label of `fqdn` ("www" for "www.example.com"); the whole input
// when it has no dot. A dot escaped in presentation form ("a\.b.example")
// belongs to its label, as ldns prints such names.
std::string_view short_hostname(std::string_view fqdn);

// Sets src_hostname/dest_hostname from src_fqdn/dest_fqdn where the former
// is empty and the latter known.
void fill_short_hostnames(FlowEvent& event);

}  // namespace procflow
