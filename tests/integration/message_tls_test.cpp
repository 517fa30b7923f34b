// message events of TLS: curl over HTTPS to a real nginx, and openssl
// s_client to openssl s_server, from the namespace to the root namespace.
// The clients build their handshakes themselves, so the bytes on the wire
// come from a capture of the traced veth (wire_transcript): each side's
// first message is the exact start of the ClientHello, resp. of the
// server's first flight, with proto_info naming the handshake, SNI, ALPN and
// version. No DNS names the server: the SNI does (dest_fqdn_source tls_sni).
//
// The decrypted request line of HTTPS comes from the OpenSSL uprobes
// (content_source "tls_plaintext").
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "http_proto_info.h"
#include "message_test.h"
#include "nginx_server.h"
#include "openssl_server.h"
#include "packet_capture.h"
#include "python_peer.h"
#include "scratch_dir.h"
#include "wire_transcript.h"

namespace procflow_it {
namespace {

constexpr const char* kName = "web.test";

std::string resolved(const std::string& program) {
  return system_program_path(program);
}

// Enough for a whole ClientHello and a server's first flight. curl's
// ClientHello is 517 bytes: the default 512 cut only the end of its padding
// extension (supported_versions, which offers TLS 1.3, lies well inside);
// a server's first flight is 1.2-1.4 kB.
constexpr int64_t kWholeHandshakeBytes = 2048;

// What proto_info says about the first turn of each side of a TLS 1.3
// handshake: the ClientHello's offer, the ServerHello's choice. Under TLS
// 1.3 the server's ALPN answer is encrypted: nothing to say in the clear.
ProtoInfoOf tls_info(const std::string& alpn) {
  return [alpn](const Turn& turn, size_t) -> std::map<std::string, std::string> {
    if (turn.from == TurnFrom::client) {
      return {{"handshake", "client_hello"}, {"version", "TLS1.3"}, {"sni", kName}, {"alpn", alpn}};
    }
    return {{"handshake", "server_hello"}, {"version", "TLS1.3"}};
  };
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class MessageTlsTest : public MessageTest {
 protected:
  void start_capture(int port) {
    capture_ = std::make_unique<PacketCapture>(topo().host_if(), "tcp port " + std::to_string(port),
                                               65535);  // whole packets: their bytes are the truth
    print_on_failure("capture", [this] { return capture_->describe(); });
    ASSERT_TRUE(capture_->wait_ready());
  }
  // The capture's transcript of the one connection to `port`.
  void captured(int port, Transcript* out) {
    ASSERT_TRUE(capture_->stop());
    std::string error;
    auto syns = capture_->fields(
        "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==" + std::to_string(port),
        {"tcp.srcport"}, &error);
    ASSERT_TRUE(syns && syns->size() == 1) << "one connection expected: " << error;
    const int64_t client_port = std::stoll(syns->front().front());
    auto t = wire_transcript(*capture_, topo().ns_ip4(), client_port, port, &error);
    ASSERT_TRUE(t) << error;
    ASSERT_GE(t->turns.size(), 2u) << "a handshake has a turn each way";
    *out = *t;
  }

  std::unique_ptr<PacketCapture> capture_;
};

class MessageNginxTlsTest : public MessageTlsTest {
 protected:
  void SetUp() override {
    MessageTlsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    nginx_ = std::make_unique<NginxServer>(topo().host_ip4(), kHttpPort, kHttpsPort);
    print_on_failure("nginx", [this] { return nginx_->describe(); });
    ASSERT_TRUE(nginx_->start());
  }
  // curl in the namespace fetches /one.txt from web.test, resolved by
  // --resolve (no DNS), the certificate not verified (-k).
  SpawnedProcess& curl(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        resolved("curl"), "-sS", "-k", "--resolve",
        std::string(kName) + ":" + std::to_string(kHttpsPort) + ":" + topo().host_ip4()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://" + std::string(kName) + ":" + std::to_string(kHttpsPort) + "/one.txt");
    return run_in_ns(argv);
  }
  ExpectedProcess nginx_worker() const {
    return ExpectedProcess{nginx_->worker_pid(), nginx_->master_pid(), "nginx",
                           nginx_->image_path(), kNobodyUid,           "nobody"};
  }

  // curl over HTTPS with procflow at `content_bytes`; both sides' wire
  // messages are the first turn each way, exactly as captured.
  void curl_handshake(int64_t content_bytes) {
    ASSERT_NO_FATAL_FAILURE(start_capture(kHttpsPort));
    ASSERT_NO_FATAL_FAILURE(start_procflow({"--content-bytes", std::to_string(content_bytes)}));
    SpawnedProcess& client = curl({"-o", "/dev/null"});
    ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
    Transcript t;
    ASSERT_NO_FATAL_FAILURE(captured(kHttpsPort, &t));
    t.pid = client.pid();

    MessageCheck client_check{client_flow_of(t, topo().host_ip4(), kHttpsPort),
                              spawned_process(client.pid(), resolved("curl")), ndpi_name::tls,
                              content_bytes};
    client_check.only_source = "wire";
    MessageCheck server_check{server_flow_of(t, topo().host_ip4(), kHttpsPort), nginx_worker(),
                              ndpi_name::tls, content_bytes};
    server_check.only_source = "wire";
    Flow client_flow, server_flow;
    ASSERT_NO_FATAL_FAILURE(
        both_flows(client_check.selector, server_check.selector, &client_flow, &server_flow));
    // curl offers HTTP/2 and HTTP/1.1.
    auto info = tls_info("h2,http/1.1");
    expect_messages(client_flow, client_check,
                    expected_messages(t, Side::client, Messages::first, info));
    expect_messages(server_flow, server_check,
                    expected_messages(t, Side::server, Messages::first, info));
  }

  std::unique_ptr<NginxServer> nginx_;
};

TEST_F(MessageNginxTlsTest, CurlHttpsClientHelloCarriesSniAndAlpnAtDefaultBudget) {
  // Both hellos cut at 512 bytes (content_truncated), their heads decoded.
  curl_handshake(kDefaultContentBytes);
}

TEST_F(MessageNginxTlsTest, CurlHttpsWholeHandshakeIsOneMessageEachWay) {
  curl_handshake(kWholeHandshakeBytes);
}

// The OpenSSL uprobes (content_source "tls_plaintext"): curl's request and
// response, and nginx's (which uses the same libssl.so.3) mirrored.
TEST_F(MessageNginxTlsTest, CurlHttpsPlaintextCarriesTheRequestLine) {
  ScratchDir dir("procflow-curl-");
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const auto headers = dir.path() / "headers";
  const auto body = dir.path() / "body";
  // HTTP/1.1 so the plaintext is a request line, not HTTP/2 frames.
  SpawnedProcess& client =
      curl({"--http1.1", "-D", headers.string(), "-o", body.string(), "-w", "%{local_port}"});
  ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
  CommandResult version = run_command({resolved("curl"), "--version"});
  std::istringstream words(version.out);
  std::string name, number;
  words >> name >> number;  // "curl 7.88.1 (...)"

  // The plaintext curl wrote and read, byte for byte: the request curl
  // sends for these options, and the response as curl received it.
  Transcript t;
  t.pid = client.pid();
  t.local_ip = topo().ns_ip4();
  t.local_port = std::stoll(client.out().text());
  t.turns = {{TurnFrom::client, "GET /one.txt HTTP/1.1\r\nHost: " + std::string(kName) + ":" +
                                    std::to_string(kHttpsPort) + "\r\nUser-Agent: curl/" + number +
                                    "\r\nAccept: */*\r\n\r\n"},
             {TurnFrom::server, read_file(headers) + read_file(body)}};
  ASSERT_EQ(read_file(body), NginxServer::files().at("/one.txt"));

  MessageCheck client_check{client_flow_of(t, topo().host_ip4(), kHttpsPort),
                            spawned_process(client.pid(), resolved("curl")), ndpi_name::tls};
  client_check.only_source = "tls_plaintext";
  MessageCheck server_check{server_flow_of(t, topo().host_ip4(), kHttpsPort), nginx_worker(),
                            ndpi_name::tls};
  server_check.only_source = "tls_plaintext";  // nginx uses the same libssl.so.3
  Flow client_flow, server_flow;
  ASSERT_NO_FATAL_FAILURE(
      both_flows(client_check.selector, server_check.selector, &client_flow, &server_flow));
  auto plaintext = [&t](Side side) {
    auto expected = expected_messages(
        t, side, Messages::first, [](const Turn& turn, size_t) { return http_proto_info(turn); });
    for (auto& m : expected) m.content_source = "tls_plaintext";
    return expected;
  };
  expect_messages(client_flow, client_check, plaintext(Side::client));
  // nginx reads the request inside the handshake's last read (TLS 1.3: the
  // client's Finished and its request arrive together), so the SSL_read
  // that hands it over touches no socket: the SSL_do_handshake uprobe named
  // the socket of that SSL object before (docs/attach-plan.md). The request
  // is the worker's first message, every time.
  expect_messages(server_flow, server_check, plaintext(Side::server));
}

class MessageOpensslTest : public MessageTlsTest {
 protected:
  std::unique_ptr<OpensslServer> server_;  // a member: TearDown prints it after the test body
};

TEST_F(MessageOpensslTest, SClientToSServerHandshakeCarriesSni) {
  server_ = std::make_unique<OpensslServer>(topo().host_ip4(), kSServerPort);
  OpensslServer& server = *server_;
  print_on_failure("s_server", [this] { return server_->describe(); });
  ASSERT_TRUE(server.start());
  ASSERT_NO_FATAL_FAILURE(start_capture(kSServerPort));
  ASSERT_NO_FATAL_FAILURE(
      start_procflow({"--content-bytes", std::to_string(kWholeHandshakeBytes)}));
  // stdin is /dev/null: s_client completes the handshake, reads EOF and closes.
  SpawnedProcess& client =
      run_in_ns(openssl_client_argv(topo().host_ip4(), kSServerPort, kName, "http/1.1"));
  ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(captured(kSServerPort, &t));
  t.pid = client.pid();

  const std::string openssl = resolved("openssl");
  MessageCheck client_check{client_flow_of(t, topo().host_ip4(), kSServerPort),
                            spawned_process(client.pid(), openssl), ndpi_name::tls,
                            kWholeHandshakeBytes};
  client_check.only_source = "wire";
  MessageCheck server_check{server_flow_of(t, topo().host_ip4(), kSServerPort),
                            spawned_process(server.pid(), openssl), ndpi_name::tls,
                            kWholeHandshakeBytes};
  server_check.only_source = "wire";
  Flow client_flow, server_flow;
  ASSERT_NO_FATAL_FAILURE(
      both_flows(client_check.selector, server_check.selector, &client_flow, &server_flow));
  expect_messages(client_flow, client_check,
                  expected_messages(t, Side::client, Messages::first, tls_info("http/1.1")));
  expect_messages(server_flow, server_check,
                  expected_messages(t, Side::server, Messages::first, tls_info("http/1.1")));
}

}  // namespace
}  // namespace procflow_it
