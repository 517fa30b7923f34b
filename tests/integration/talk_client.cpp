// The scripted client's script and transcript; see talk_client.h.
#include "talk_client.h"

#include <rapidjson/document.h>

#include <cstdio>

#include "python_peer.h"

namespace procflow_it {

std::string json_quote(const std::string& bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);  // latin-1: code point = byte
      out += escaped;
    }
  }
  return out + "\"";
}

TalkScript& TalkScript::send(const std::string& bytes) {
  steps_.push_back("{\"send\":" + json_quote(bytes) + "}");
  return *this;
}

TalkScript& TalkScript::recv_line(const std::string& prefix) {
  steps_.push_back("{\"recv_line\":" + json_quote(prefix) + "}");
  return *this;
}

TalkScript& TalkScript::recv_http() {
  steps_.push_back("{\"recv_http\":true}");
  return *this;
}

TalkScript& TalkScript::recv_datagram() {
  steps_.push_back("{\"recv_datagram\":true}");
  return *this;
}

TalkScript& TalkScript::recv_any() {
  steps_.push_back("{\"recv_any\":true}");
  return *this;
}

std::string TalkScript::json() const {
  std::string out = "[";
  for (size_t i = 0; i < steps_.size(); ++i) out += (i ? "," : "") + steps_[i];
  return out + "]";
}

std::vector<std::string> talk_argv(const std::string& transport, const std::string& host, int port,
                                   const TalkScript& script) {
  return {kSystemPython, peer_script("talk.py"), transport,
          host,          std::to_string(port),   script.json()};
}

namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

}  // namespace

std::optional<Transcript> transcript_of(const SpawnedProcess& client, std::string* error) {
  auto lines = client.out().lines();
  if (lines.empty()) {
    *error = "talk.py printed nothing";
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse(lines.back().c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    *error = "not JSON: " + lines.back();
    return std::nullopt;
  }
  if (doc.HasMember("error")) {
    *error = lines.back();
    return std::nullopt;
  }
  Transcript t;
  t.pid = doc["pid"].GetInt64();
  t.local_ip = doc["local_ip"].GetString();
  t.local_port = doc["local_port"].GetInt64();
  for (const auto& turn : doc["turns"].GetArray()) {
    t.turns.push_back(
        {std::string(turn["dir"].GetString()) == "out" ? TurnFrom::client : TurnFrom::server,
         from_hex(turn["hex"].GetString())});
  }
  return t;
}

}  // namespace procflow_it
