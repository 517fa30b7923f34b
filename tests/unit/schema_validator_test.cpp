// The validators themselves: they must reject what the definitions forbid, or the OCSF and ECS
// output tests would prove nothing. Each case takes a valid emitted event and breaks one thing.
#include <gtest/gtest.h>

#include <string>

#include "output/ecs_json.h"
#include "output/ocsf_json.h"
#include "schema_test_events.h"
#include "schema_validators.h"

namespace procflow::test {
namespace {

rapidjson::Document ocsf_doc() {
  std::string line;
  append_ocsf_json_line(outbound_tcp_end(), line);
  return parse_line(line);
}

rapidjson::Document ecs_doc() {
  std::string line;
  append_ecs_json_line(outbound_tcp_end(), line);
  return parse_line(line);
}

bool mentions(const std::vector<std::string>& errors, const std::string& what) {
  for (const std::string& e : errors)
    if (e.find(what) != std::string::npos) return true;
  return false;
}

TEST(OcsfValidator, LoadsTheClassAndItsObjects) {
  const auto& profiles = ocsf_validator().profiles();
  EXPECT_TRUE(profiles.count("host"));
  EXPECT_TRUE(ocsf_validator().validate(ocsf_doc()).empty());
}

TEST(OcsfValidator, RejectsAWrongType) {
  rapidjson::Document doc = ocsf_doc();
  doc["src_endpoint"]["port"].SetString("443");  // port_t is an integer
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "src_endpoint.port: expected an integer"));

  doc = ocsf_doc();
  doc["src_endpoint"]["ip"].SetString("10.0.0.300");  // ip_t's regex
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "src_endpoint.ip"));

  doc = ocsf_doc();
  doc["actor"]["process"]["user"]["uid"].SetInt(1000);  // uid is a string
  EXPECT_TRUE(
      mentions(ocsf_validator().validate(doc), "actor.process.user.uid: expected a string"));

  doc = ocsf_doc();
  doc["src_endpoint"]["port"].SetInt(70000);  // port_t's range
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "range"));

  doc = ocsf_doc();
  doc["class_uid"].SetInt(4002);  // another class's number
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "class_uid: value 4002"));

  doc = ocsf_doc();
  doc["activity_id"].SetInt(8);  // not in the class's enum
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "activity_id: value 8"));
}

TEST(OcsfValidator, RejectsAMissingRequiredAttribute) {
  rapidjson::Document doc = ocsf_doc();
  doc.RemoveMember("severity_id");
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "severity_id: required attribute missing"));

  doc = ocsf_doc();
  doc["metadata"]["product"].RemoveMember("name");  // product: at least one of name, uid
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "metadata.product: needs at least one"));

  doc = ocsf_doc();
  doc["actor"]["process"]["file"].RemoveMember("type_id");
  EXPECT_TRUE(
      mentions(ocsf_validator().validate(doc), "actor.process.file.type_id: required attribute"));

  doc = ocsf_doc();  // the class needs src_endpoint or dst_endpoint
  doc.RemoveMember("src_endpoint");
  doc.RemoveMember("dst_endpoint");
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "needs at least one"));
}

TEST(OcsfValidator, RejectsAnUnknownAttribute) {
  rapidjson::Document doc = ocsf_doc();
  doc["connection_info"].AddMember("end_reason", "close", doc.GetAllocator());
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "connection_info.end_reason: unknown"));

  doc = ocsf_doc();
  doc["actor"].AddMember("session", rapidjson::Value(rapidjson::kObjectType), doc.GetAllocator());
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "actor.session: unknown"));

  // Anything goes under unmapped.
  doc = ocsf_doc();
  doc["unmapped"].AddMember("anything", 1, doc.GetAllocator());
  EXPECT_TRUE(ocsf_validator().validate(doc).empty());

  // A profile's attribute needs the profile declared.
  doc = ocsf_doc();
  doc["metadata"].RemoveMember("profiles");
  EXPECT_TRUE(mentions(ocsf_validator().validate(doc), "actor: belongs to profile host"));
}

TEST(EcsValidator, LoadsTheFieldList) {
  EXPECT_GT(ecs_validator().field_count(), 1000u);
  EXPECT_TRUE(ecs_validator().validate(ecs_doc()).empty());
}

TEST(EcsValidator, RejectsAWrongType) {
  rapidjson::Document doc = ecs_doc();
  doc["source"]["port"].SetString("50438");  // long
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "source.port: expected an integer"));

  doc = ecs_doc();
  doc["source"]["ip"].SetString("ws1");  // ip
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "source.ip: expected an IP address"));

  doc = ecs_doc();
  doc["event"]["start"].SetString("yesterday");  // date
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "event.start: expected an RFC 3339"));

  doc = ecs_doc();
  doc["event"]["category"].SetString("network");  // normalised to an array
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "event.category: ECS normalises"));

  doc = ecs_doc();
  doc["event"]["kind"].SetString("flow");  // allowed values
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "event.kind: \"flow\""));

  doc = ecs_doc();
  doc["event"]["type"][1].SetString("creation");  // not a network event type
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "event.type: creation"));
}

TEST(EcsValidator, RejectsAMissingRequiredField) {
  rapidjson::Document doc = ecs_doc();
  doc.RemoveMember("@timestamp");
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "@timestamp: required field missing"));
  doc = ecs_doc();
  doc.RemoveMember("ecs");
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "ecs.version: required field missing"));
}

TEST(EcsValidator, RejectsAnUnknownField) {
  rapidjson::Document doc = ecs_doc();
  doc["network"].AddMember("end_reason", "close", doc.GetAllocator());
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "network.end_reason: not an ECS field"));

  doc = ecs_doc();
  doc.AddMember("flow", rapidjson::Value(rapidjson::kObjectType), doc.GetAllocator());
  EXPECT_TRUE(mentions(ecs_validator().validate(doc), "flow: not an ECS field"));

  // The custom namespace is the producer's.
  doc = ecs_doc();
  doc["procflow"].AddMember("anything", 1, doc.GetAllocator());
  EXPECT_TRUE(ecs_validator().validate(doc).empty());
}

}  // namespace
}  // namespace procflow::test
