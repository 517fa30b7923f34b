// Credentials never reach procflow's output: real servers that take a login
// in the clear (SMTP with AUTH PLAIN and AUTH LOGIN through aiosmtpd, FTP
// USER/PASS through pyftpdlib, POP3 USER/PASS and IMAP LOGIN through a
// minimal line server, since Debian's POP3/IMAP servers are system services
// with mail stores of their own; HTTP Authorization, Proxy-Authorization,
// Cookie, a password in the URL and a Set-Cookie back through nginx).
// With --messages all every turn of the login is a message. By default every
// line procflow prints (stdout and stderr) is scanned for each credential
// in every form sent and the forms a decoder could make of it (the raw
// password, its base64): none may appear, and the messages that carried one
// say [redacted]. With --no-redact the same conversation shows every
// credential as sent: the proof that the scan can see them.
#include <cctype>
#include <memory>

#include "http_proto_info.h"
#include "message_test.h"
#include "nginx_server.h"
#include "python_peer.h"

namespace procflow_it {
namespace {

// Unique strings, so a hit can only be the credential.
constexpr const char* kUser = "pfuser";
constexpr const char* kPassword = "pf-pass-K8d3Lq";
constexpr const char* kProxyPassword = "pf-proxy-Wn4Rz1";
constexpr const char* kUrlPassword = "pf-url-Hc6Tb5";
constexpr const char* kCookie = "pf-cookie-Jv2Xs8";

enum class Protocol { smtp_plain, smtp_login, ftp, pop3, imap, http };

// One login conversation and its secrets.
struct Conversation {
  int port = 0;
  std::string application_protocol;
  TalkScript script;
  // Credentials as they cross the wire: --no-redact must show each.
  std::vector<std::string> sent;
  // What a decoder could make of them (decoded base64, the raw password):
  // must never appear either.
  std::vector<std::string> derived;
  ProtoInfoOf proto_info;
};

std::string word_upper(const std::string& bytes, size_t index) {
  std::vector<std::string> words;
  std::string word;
  for (char c : bytes.substr(0, bytes.find("\r\n")) + " ") {
    if (c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return index < words.size() ? words[index] : "";
}

// SMTP and FTP: a client turn's command verb; a server turn's reply code(s),
// each once, in order.
ProtoInfoOf command_and_reply_info(std::vector<std::string> verbs) {
  return [verbs](const Turn& turn, size_t) -> std::map<std::string, std::string> {
    if (turn.from == TurnFrom::client) {
      std::string verb = word_upper(turn.bytes, 0);
      for (const auto& v : verbs) {
        if (v == verb) return {{"commands", verb}};
      }
      return {};  // a continuation (AUTH LOGIN's base64 lines)
    }
    std::string codes;
    size_t start = 0;
    while (start + 3 <= turn.bytes.size()) {
      std::string code = turn.bytes.substr(start, 3);
      if (codes.find(code) == std::string::npos) codes += (codes.empty() ? "" : ",") + code;
      size_t next = turn.bytes.find("\r\n", start);
      if (next == std::string::npos) break;
      start = next + 2;
    }
    return {{"replies", codes}};
  };
}

// POP3 and IMAP: the client's command verbs (IMAP: after the tag); the
// server's replies: POP3 +OK/-ERR, IMAP OK/NO/BAD for a tagged answer and *
// with the keyword for an untagged one (docs/events.md), each once, in order.
ProtoInfoOf command_info(size_t verb_index) {
  return [verb_index](const Turn& turn, size_t) -> std::map<std::string, std::string> {
    if (turn.from == TurnFrom::client) return {{"commands", word_upper(turn.bytes, verb_index)}};
    std::string replies;
    size_t start = 0;
    while (start < turn.bytes.size()) {
      size_t end = turn.bytes.find("\r\n", start);
      const std::string line = turn.bytes.substr(start, end - start);
      std::string reply = verb_index == 0  ? word_upper(line, 0)
                          : line[0] == '*' ? "*" + word_upper(line, 1)
                                           : word_upper(line, 1);
      if (("," + replies + ",").find("," + reply + ",") == std::string::npos)
        replies += (replies.empty() ? "" : ",") + reply;
      if (end == std::string::npos) break;
      start = end + 2;
    }
    return {{"replies", replies}};
  };
}

Conversation conversation(Protocol protocol) {
  const std::string user = kUser, password = kPassword;
  Conversation c;
  switch (protocol) {
    case Protocol::smtp_plain: {
      const std::string blob =
          base64(std::string("\0", 1) + user + std::string("\0", 1) + password);
      c.port = kSmtpPort;
      c.application_protocol = ndpi_name::smtp;
      c.script.recv_line("220 ")
          .send("EHLO client.test\r\n")
          .recv_line("250 ")
          .send("AUTH PLAIN " + blob + "\r\n")
          .recv_line("235 ")
          .send("MAIL FROM:<a@client.test>\r\n")
          .recv_line("250 ")
          .send("RCPT TO:<b@mail.test>\r\n")
          .recv_line("250 ")
          .send("QUIT\r\n")
          .recv_line("221 ");
      c.sent = {blob};
      c.derived = {password, base64(password)};
      c.proto_info = command_and_reply_info({"EHLO", "AUTH", "MAIL", "RCPT", "QUIT"});
      break;
    }
    case Protocol::smtp_login:
      c.port = kSmtpPort;
      c.application_protocol = ndpi_name::smtp;
      c.script.recv_line("220 ")
          .send("EHLO client.test\r\n")
          .recv_line("250 ")
          .send("AUTH LOGIN\r\n")
          .recv_line("334 ")
          .send(base64(user) + "\r\n")
          .recv_line("334 ")
          .send(base64(password) + "\r\n")
          .recv_line("235 ")
          .send("QUIT\r\n")
          .recv_line("221 ");
      c.sent = {base64(user), base64(password)};
      c.derived = {password};
      c.proto_info = command_and_reply_info({"EHLO", "AUTH", "QUIT"});
      break;
    case Protocol::ftp:
      c.port = kFtpPort;
      c.application_protocol = ndpi_name::ftp;
      c.script.recv_line("220 ")
          .send("USER " + user + "\r\n")
          .recv_line("331 ")
          .send("PASS " + password + "\r\n")
          .recv_line("230 ")
          .send("QUIT\r\n")
          .recv_line("221 ");
      c.sent = {password};
      c.derived = {base64(password)};
      c.proto_info = command_and_reply_info({"USER", "PASS", "QUIT"});
      break;
    case Protocol::pop3:
      c.port = kPop3Port;
      c.application_protocol = ndpi_name::pop3;
      c.script.recv_line("+OK")
          .send("USER " + user + "\r\n")
          .recv_line("+OK")
          .send("PASS " + password + "\r\n")
          .recv_line("+OK")
          .send("QUIT\r\n")
          .recv_line("+OK");
      c.sent = {password};
      c.derived = {base64(password)};
      c.proto_info = command_info(0);
      break;
    case Protocol::imap:
      c.port = kImapPort;
      c.application_protocol = ndpi_name::imap;
      c.script.recv_line("* OK")
          .send("a1 LOGIN " + user + " " + password + "\r\n")
          .recv_line("a1 ")
          .send("a2 LOGOUT\r\n")
          .recv_line("a2 ");
      c.sent = {password};
      c.derived = {base64(password)};
      c.proto_info = command_info(1);
      break;
    case Protocol::http: {
      const std::string basic = base64(user + ":" + password);
      const std::string proxy = base64(user + ":" + kProxyPassword);
      c.port = kHttpPort;
      c.application_protocol = ndpi_name::http;
      c.script
          .send("GET /login HTTP/1.1\r\nHost: web.test\r\nAuthorization: Basic " + basic +
                "\r\nProxy-Authorization: Basic " + proxy + "\r\nCookie: session=" + kCookie +
                "\r\n\r\n")
          .recv_http()
          .send("GET http://" + user + ":" + kUrlPassword +
                "@web.test/one.txt HTTP/1.1\r\nHost: web.test\r\n\r\n")
          .recv_http();
      c.sent = {basic, proxy, kCookie, kUrlPassword, NginxServer::kLoginCookie};
      c.derived = {password, kProxyPassword};
      c.proto_info = [](const Turn& turn, size_t) {
        auto info = http_proto_info(turn);
        info.erase("target");  // may carry the URL's password
        return info;
      };
      break;
    }
  }
  return c;
}

std::string name_of(Protocol protocol) {
  switch (protocol) {
    case Protocol::smtp_plain:
      return "SmtpAuthPlain";
    case Protocol::smtp_login:
      return "SmtpAuthLogin";
    case Protocol::ftp:
      return "FtpUserPass";
    case Protocol::pop3:
      return "Pop3UserPass";
    case Protocol::imap:
      return "ImapLogin";
    case Protocol::http:
      return "HttpAuthorizationCookiesUrl";
  }
  return "?";
}

// Where the line that carries a turn's first credential starts: content is
// exact up to there (what follows is the redactor's to shape).
SecretOf secret_line(std::vector<std::string> secrets) {
  return [secrets](const Turn& turn, size_t) -> std::optional<size_t> {
    std::optional<size_t> first;
    for (const auto& secret : secrets) {
      size_t at = turn.bytes.find(secret);
      if (at != std::string::npos && (!first || at < *first)) first = at;
    }
    if (!first) return std::nullopt;
    size_t line = turn.bytes.rfind('\n', *first);
    return line == std::string::npos ? 0 : line + 1;
  };
}

class MessageCredentialsTest : public MessageTest, public ::testing::WithParamInterface<Protocol> {
 protected:
  void SetUp() override {
    MessageTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const std::string ip = topo().host_ip4();
    const Protocol protocol = GetParam();
    if (protocol == Protocol::http) {
      nginx_ = std::make_unique<NginxServer>(ip, kHttpPort, kHttpsPort);
      print_on_failure("nginx", [this] { return nginx_->describe(); });
      ASSERT_TRUE(nginx_->start());
      server_process_ = ExpectedProcess{nginx_->worker_pid(), nginx_->master_pid(), "nginx",
                                        nginx_->image_path(), kNobodyUid,           "nobody"};
      return;
    }
    const std::string port = std::to_string(conversation(protocol).port);
    if (protocol == Protocol::smtp_plain || protocol == Protocol::smtp_login) {
      peer_ = std::make_unique<PythonPeer>("smtp_server.py",
                                           std::vector<std::string>{ip, port, kUser, kPassword});
    } else if (protocol == Protocol::ftp) {
      peer_ = std::make_unique<PythonPeer>(
          "ftp_server.py", std::vector<std::string>{ip, port, kUser, kPassword, "/tmp"});
    } else {
      peer_ = std::make_unique<PythonPeer>(
          "line_server.py", std::vector<std::string>{protocol == Protocol::pop3 ? "pop3" : "imap",
                                                     ip, port, kUser, kPassword});
    }
    print_on_failure("server", [this] { return peer_->describe(); });
    ASSERT_TRUE(peer_->wait_ready());
    server_process_ = spawned_process(peer_->pid(), python_image_path());
  }

  // Runs the conversation under procflow with `options`.
  void converse(const std::vector<std::string>& options, Conversation* c, Transcript* t) {
    *c = conversation(GetParam());
    ASSERT_NO_FATAL_FAILURE(start_procflow(options));
    ASSERT_NO_FATAL_FAILURE(talk("tcp", topo().host_ip4(), c->port, c->script, t));
    ASSERT_LT(t->turns.size(), kTurnsBelowLimit);
    ASSERT_TRUE(wait_for_ends({client_flow_of(*t, topo().host_ip4(), c->port),
                               server_flow_of(*t, topo().host_ip4(), c->port)}));
  }

  // Both sides' messages (`messages` mode, redaction on or off). Not fatal
  // to the caller: the scan for credentials runs whatever these find.
  void check_messages(const Conversation& c, const Transcript& t, Messages messages,
                      bool redaction) {
    MessageCheck client{client_flow_of(t, topo().host_ip4(), c.port), talk_process(t),
                        c.application_protocol};
    MessageCheck server{server_flow_of(t, topo().host_ip4(), c.port), server_process_,
                        c.application_protocol};
    client.redaction = server.redaction = redaction;
    auto events = procflow().events();
    auto secret = secret_line(c.sent);
    expect_messages(collect_flow(events, client.selector), client,
                    expected_messages(t, Side::client, messages, c.proto_info, secret));
    expect_messages(collect_flow(events, server.selector), server,
                    expected_messages(t, Side::server, messages, c.proto_info, secret));
  }

  void expect_no_secret_anywhere(const Conversation& c) {
    std::vector<std::string> secrets = c.sent;
    secrets.insert(secrets.end(), c.derived.begin(), c.derived.end());
    auto leaks = lines_with_secrets(procflow_output_lines(), secrets);
    EXPECT_TRUE(leaks.empty()) << leaks.size()
                               << " line(s) carry a credential, first: " << leaks.front();
  }

  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<PythonPeer> peer_;
  ExpectedProcess server_process_;
};

TEST_P(MessageCredentialsTest, RedactedInEveryMessage) {
  Conversation c;
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(converse({"--messages", "all"}, &c, &t));
  check_messages(c, t, Messages::all, true);
  ASSERT_NO_FATAL_FAILURE(stop_procflow());  // its last lines (exit report) too
  expect_no_secret_anywhere(c);
}

TEST_P(MessageCredentialsTest, RedactedWithDefaultOptions) {
  Conversation c;
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(converse({}, &c, &t));
  check_messages(c, t, Messages::first, true);
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  expect_no_secret_anywhere(c);
}

TEST_P(MessageCredentialsTest, ShownWithNoRedact) {
  Conversation c;
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(converse({"--messages", "all", "--no-redact"}, &c, &t));
  check_messages(c, t, Messages::all, false);
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  const auto lines = procflow_output_lines();
  for (const auto& secret : c.sent) {
    // In content they are escaped like any bytes (all these are printable).
    EXPECT_FALSE(lines_with_secrets(lines, {escaped_content(secret)}).empty())
        << "with --no-redact, " << secret << " must appear in procflow's output";
  }
}

INSTANTIATE_TEST_SUITE_P(Logins, MessageCredentialsTest,
                         ::testing::Values(Protocol::smtp_plain, Protocol::smtp_login,
                                           Protocol::ftp, Protocol::pop3, Protocol::imap,
                                           Protocol::http),
                         [](const ::testing::TestParamInfo<Protocol>& info) {
                           return name_of(info.param);
                         });

}  // namespace
}  // namespace procflow_it
