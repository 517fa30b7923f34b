#include "dns_wire_builder.h"

// Before ldns, in a block of its own so include sorting keeps it first:
// without it ldns/common.h defines `true`, `false` and `bool` as macros in
// C++, which breaks standard headers included after it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>

#include <gtest/gtest.h>

#include <cstdlib>

namespace procflow::test {

Bytes build_dns(const MessageSpec& spec) {
  ldns_pkt* pkt = ldns_pkt_new();
  ldns_pkt_set_id(pkt, spec.id);
  ldns_pkt_set_qr(pkt, spec.response);
  ldns_pkt_set_rcode(pkt, spec.rcode);
  if (!spec.question.empty()) {
    ldns_rr* q = nullptr;
    EXPECT_EQ(ldns_rr_new_question_frm_str(&q, spec.question.c_str(), nullptr, nullptr),
              LDNS_STATUS_OK)
        << spec.question;
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
  }
  auto push = [&](const std::vector<std::string>& rrs, ldns_pkt_section section) {
    for (const auto& text : rrs) {
      ldns_rr* rr = nullptr;
      EXPECT_EQ(ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr), LDNS_STATUS_OK)
          << text;
      if (spec.answer_class && section == LDNS_SECTION_ANSWER) {
        ldns_rr_set_class(rr, static_cast<ldns_rr_class>(spec.answer_class));
      }
      ldns_pkt_push_rr(pkt, section, rr);
    }
  };
  push(spec.answers, LDNS_SECTION_ANSWER);
  push(spec.additional, LDNS_SECTION_ADDITIONAL);
  uint8_t* wire = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
  Bytes out(wire, wire + size);
  std::free(wire);
  ldns_pkt_free(pkt);
  return out;
}

}  // namespace procflow::test
