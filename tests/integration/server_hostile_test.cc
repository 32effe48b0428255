// Hostile input over real HTTP: every request an attacker or a broken client might send gets a
// clean 4xx ErrorBody (never a crash, a hang or a 500), and the server answers afterwards.
// Raw sockets where httplib::Client would not send the bytes (framing, HTTP/2, garbage).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <future>
#include <sstream>
#include <tuple>

#include "child_process.h"
#include "raw_connection.h"
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

using gcsim::testing::Child;
using gcsim::testing::ReadAll;
using gcsim::testing::Spawn;
using gcsim::testing::Wait;

std::string Nested(size_t depth, char open, char close, std::string_view inside = "") {
  return std::string(depth, open) + std::string(inside) + std::string(depth, close);
}

// {"a":{"a":...{}...}}, `depth` objects deep.
std::string NestedObjects(size_t depth) {
  std::string text;
  text.reserve(depth * 6 + 2);
  for (size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "{}";
  text.append(depth, '}');
  return text;
}

class HostileTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    token_ = Token();
  }

  static std::string Message(const Response& response) {
    return response.Json().value("message", "");
  }

  // The server still answers, on a new connection.
  void ExpectAlive() {
    auto client = NewClient();
    const Response health = Send(*client, "GET", "/sim/v1/health");
    EXPECT_EQ(health.status, 200) << "the server stopped answering";
  }

  std::string token_;
};

// --- 1. nesting depth -------------------------------------------------------------------

TEST_F(HostileTest, DeepArrayInConversationPatchIsRefused) {
  const std::string body = "{\"state\":" + Nested(100'000, '[', ']') + "}";
  const Response response =
      SendJson("PATCH", "/api/v2/conversations/calls/" + kConversationId, body, token_);
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("64"), std::string::npos) << Message(response);
  ExpectAlive();
}

TEST_F(HostileTest, DeepOrderByInAnalyticsQueryIsRefused) {
  const std::string body = "{\"orderBy\":" + Nested(300'000, '[', ']') + "}";
  const Response response =
      SendJson("POST", "/api/v2/analytics/conversations/details/query", body, token_);
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("64"), std::string::npos) << Message(response);
  ExpectAlive();
}

TEST_F(HostileTest, DeepPurposeInResetIsRefusedWithoutAToken) {
  const json before = State();
  const std::string body = R"({"conversations":[{"participants":[{"purpose":)" +
                           Nested(300'000, '[', ']') + "}]}]}";
  const Response response = SendJson("POST", "/sim/v1/reset", body);
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("64"), std::string::npos) << Message(response);
  EXPECT_EQ(State(), before);
  ExpectAlive();
}

TEST_F(HostileTest, DeepWrapupIsRefusedAndNeverStored) {
  const std::string path = GenericParticipantPath(kConversationId, kSupervisorId);
  const Response response =
      SendJson("PATCH", path, "{\"wrapup\":" + NestedObjects(100'000) + "}", token_);
  ExpectErrorBody(response, 400);
  EXPECT_FALSE(CallLeg(token_, kSupervisorId).contains("wrapup"));
  // Within the bound, unknown WrapupInput keys are ignored (and named), never kept.
  const Response shallow = SendJson(
      "PATCH", path, R"({"wrapup":{"code":"done","tags":["a"],"extra":)" + NestedObjects(40) + "}}",
      token_);
  EXPECT_EQ(shallow.status, 202) << shallow.body;
  EXPECT_EQ(shallow.Header("X-Gcsim-Ignored-Fields"), "wrapup.extra");
  const json conversation = Get("/api/v2/conversations/" + kConversationId, token_).Json();
  for (const json& leg : conversation["participants"]) {
    if (leg["id"] == kSupervisorId) {
      EXPECT_EQ(leg["wrapup"], json({{"code", "done"}, {"tags", {"a"}}}));
    }
  }
  ExpectAlive();
}

TEST(HostileServeCommandTest, DeepWorldFileExitsWith2) {
  const std::string world = ::testing::TempDir() + "/hostile-deep-world.json";
  std::ofstream(world) << R"({"conversations":[{"participants":[{"purpose":)" +
                              Nested(100'000, '[', ']') + "}]}]}";
  Child child = Spawn(GCSIM_BINARY, {"serve", "--port", "0", "--world", world});
  const std::string err = ReadAll(child.err);
  EXPECT_EQ(Wait(child), 2) << err;
  EXPECT_NE(err.find("64"), std::string::npos) << err;
}

TEST_F(HostileTest, NestingJustWithinTheBoundIsStillServed) {
  // 63 arrays inside the body's object: the deepest a body may go.
  const std::string body =
      R"({"interval":"2026-01-01T00:00:00Z/2026-01-02T00:00:00Z","orderBy":)" +
      Nested(63, '[', ']') + "}";
  const Response response =
      SendJson("POST", "/api/v2/analytics/conversations/details/query", body, token_);
  ExpectErrorBody(response, 400);  // refused for what it says, not for how deep it is
  EXPECT_NE(Message(response).find("orderBy"), std::string::npos) << Message(response);
}

TEST_F(HostileTest, WrongWrapupTypesNameTheField) {
  const std::string path = GenericParticipantPath(kConversationId, kSupervisorId);
  for (const char* body :
       {R"({"wrapup":{"code":7}})", R"({"wrapup":{"tags":[1]}})",
        R"({"wrapup":{"durationSeconds":"long"}})", R"({"wrapup":{"durationSeconds":-1}})",
        R"({"wrapup":{"durationSeconds":2147483648}})",
        R"({"wrapup":{"durationSeconds":18446744073709551615}})",
        R"({"wrapup":{"endTime":"yesterday"}})", R"({"wrapup":{"provisional":"no"}})",
        R"({"wrapup":[]})"}) {
    SCOPED_TRACE(body);
    const Response response = SendJson("PATCH", path, body, token_);
    ExpectErrorBody(response, 400);
    EXPECT_NE(Message(response).find("wrapup"), std::string::npos) << Message(response);
  }
}

// Odd keys cannot make the ignored-fields header unreadable or huge: each name is cut to 100
// bytes, control characters show as '?', at most 50 names are listed.
TEST_F(HostileTest, IgnoredFieldNamesStayAReadableHeader) {
  const std::string path = GenericParticipantPath(kConversationId, kSupervisorId);
  json body = {
      {std::string(200'000, 'k'), 1}, {"a\r\nX-Injected: 1", 1}, {std::string("n\0ul", 4), 1}};
  Response response = SendJson("PATCH", path, body.dump(), token_);
  ASSERT_NE(response.status, 0) << "no answer could be read";
  EXPECT_EQ(response.Header("X-Gcsim-Ignored-Fields"),
            "a??X-Injected: 1," + std::string(100, 'k') + "... (199900 more bytes),n?ul");
  EXPECT_FALSE(response.HasHeader("X-Injected"));
  body = json::object();
  for (int i = 0; i < 5000; ++i) body["field" + std::to_string(10000 + i)] = i;
  response = SendJson("PATCH", path, body.dump(), token_);
  const std::string header = response.Header("X-Gcsim-Ignored-Fields");
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), 50) << header.size();
  EXPECT_NE(header.find(",... (4950 more)"), std::string::npos);
}

// An error that echoes what the client sent keeps its message short.
TEST_F(HostileTest, AnErrorEchoingAHugeValueStaysShort) {
  const std::string path = GenericParticipantPath(kConversationId, kSupervisorId);
  const Response response =
      SendJson("PATCH", path, json{{"state", std::string(900'000, 'x')}}.dump(), token_);
  ExpectErrorBody(response, 400, "invalid.value");
  EXPECT_LT(response.body.size(), 4096u);
  EXPECT_NE(Message(response).find("more bytes)"), std::string::npos) << Message(response);
}

// --- 2. numbers in durations --------------------------------------------------------------

TEST_F(HostileTest, HugeAndTinyDurationsNeverAnswer500) {
  const std::string huge = std::string(400, '9') + "s";
  const std::string tiny = "0." + std::string(400, '0') + "1s";
  Response response = SendJson("POST", "/sim/v1/clock/advance", json{{"by", huge}}.dump());
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("longer than the clock can represent"), std::string::npos);
  response = Get("/sim/v1/media?silentFor=" + huge);
  ExpectErrorBody(response, 400);
  // A tiny fraction is a valid duration: it rounds to 0ms.
  response = SendJson("POST", "/sim/v1/clock/advance", json{{"by", tiny}}.dump());
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Get("/sim/v1/media?silentFor=" + tiny).status, 200);
  const json reset = {{"disconnectLatency", huge}};
  response = SendJson("POST", "/sim/v1/reset", reset.dump());
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("/disconnectLatency"), std::string::npos) << Message(response);
  ExpectAlive();
}

TEST(HostileServeCommandTest, HugeDurationsInFlagsAndWorldFilesExitWith2) {
  const std::string huge = std::string(400, '9') + "s";
  {
    Child child = Spawn(GCSIM_BINARY, {"serve", "--port", "0", "--disconnect-latency", huge});
    const std::string err = ReadAll(child.err);
    EXPECT_EQ(Wait(child), 2) << err;
    EXPECT_NE(err.find("longer than the clock can represent"), std::string::npos) << err;
  }
  const std::string world = ::testing::TempDir() + "/hostile-world.json";
  std::ofstream(world) << json{{"disconnectLatency", "0." + std::string(400, '0') + "1s"},
                               {"oauthClients",
                                {{{"clientId", "a"},
                                  {"clientSecret", "b"},
                                  {"tokenLifetime", huge}}}}}
                              .dump();
  Child child = Spawn(GCSIM_BINARY, {"serve", "--port", "0", "--world", world});
  const std::string err = ReadAll(child.err);
  EXPECT_EQ(Wait(child), 2) << err;
  EXPECT_NE(err.find("/oauthClients/0/tokenLifetime"), std::string::npos) << err;
}

// --- 3. what a request may make the simulator build ----------------------------------------

class HostileLimitsTest : public HostileTest {
 protected:
  void SetUp() override {
    StartServer(core::DemoWorld(), {.limits = {.max_legs = 1000, .max_conversations = 100}});
    token_ = Token();
  }
};

TEST_F(HostileLimitsTest, ResetsBeyondTheLimitsAreRefusedBeforeBuilding) {
  const json before = State();
  for (const int bridges : {100'000'000, 201}) {
    SCOPED_TRACE(bridges);
    const json world = {
        {"generate",
         {{{"bridges", bridges},
           {"purposes", {"customer", "agent", "user", "user", "external"}}}}}};
    const Response response = SendJson("POST", "/sim/v1/reset", world.dump());
    ExpectErrorBody(response, 400);
    EXPECT_NE(Message(response).find("--max-legs"), std::string::npos) << Message(response);
  }
  const json many = {{"generate", {{{"bridges", 101}, {"purposes", {"customer"}}}}}};
  const Response response = SendJson("POST", "/sim/v1/reset", many.dump());
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("--max-conversations"), std::string::npos);
  EXPECT_EQ(State(), before);
  const json fits = {{"generate", {{{"bridges", 100}, {"purposes", {"customer", "agent"}}}}}};
  EXPECT_EQ(SendJson("POST", "/sim/v1/reset", fits.dump()).status, 200);
  ExpectAlive();
}

TEST_F(HostileLimitsTest, ApiCallsCannotGrowTheWorldPastTheLimits) {
  const json fill = {{"oauthClients", {{{"clientId", "c"}, {"clientSecret", "s"}}}},
                     {"generate", {{{"bridges", 99}, {"purposes", {"customer"}}}}}};
  ASSERT_EQ(SendJson("POST", "/sim/v1/reset", fill.dump()).status, 200);
  const std::string token = Token("c", "s");
  const json call = {{"phoneNumber", "+13175550100"}};
  EXPECT_EQ(SendJson("POST", "/api/v2/conversations/calls", call.dump(), token).status, 200);
  const Response refused = SendJson("POST", "/api/v2/conversations/calls", call.dump(), token);
  ExpectErrorBody(refused, 400);
  EXPECT_NE(Message(refused).find("--max-conversations"), std::string::npos) << Message(refused);
}

// --- 4. the clock's range -------------------------------------------------------------------

TEST_F(HostileTest, TheClockCannotBeAdvancedPastYear9999) {
  for (const char* by : {"99999999h", "80000000h"}) {
    const Response response = SendJson("POST", "/sim/v1/clock/advance", json{{"by", by}}.dump());
    ExpectErrorBody(response, 400);
  }
  EXPECT_EQ(Advance("60000000h")["now"], "8870-10-08T09:00:00.000Z");
  const Response again =
      SendJson("POST", "/sim/v1/clock/advance", json{{"by", "60000000h"}}.dump());
  ExpectErrorBody(again, 400);
  EXPECT_NE(Message(again).find("9999-12-31T23:59:59.999Z"), std::string::npos) << Message(again);
  // Every timestamp stays four digits of year.
  const std::string now = Get("/sim/v1/clock").Json()["now"];
  EXPECT_EQ(now, "8870-10-08T09:00:00.000Z");
  ExpectAlive();
}

// --- 5. bodies without Content-Length ---------------------------------------------------------

TEST_F(HostileTest, PostWithoutContentLengthIsAnsweredAtOnceAsEmpty) {
  RawConnection connection(port_);
  // What `curl -X POST` sends: no body, no Content-Length. An empty reset restores the world.
  Response response = connection.Exchange("POST /sim/v1/reset HTTP/1.1\r\nHost: gcsim\r\n\r\n");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json(), json({{"status", "reset"}}));
  // The same connection goes on: nothing was waiting for a body.
  response = connection.Exchange(
      "PATCH " + GenericParticipantPath(kConversationId, kSupervisorId) +
      " HTTP/1.1\r\nHost: gcsim\r\nAuthorization: Bearer " + Token() + "\r\n\r\n");
  ExpectErrorBody(response, 400);
  EXPECT_NE(Message(response).find("body is required"), std::string::npos) << Message(response);
  response = connection.Exchange("GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\n\r\n");
  EXPECT_EQ(response.status, 200);
}

// --- 6. request framing -----------------------------------------------------------------------

TEST_F(HostileTest, AmbiguousFramingIsRefusedAndTheConnectionClosed) {
  const std::string body = R"({"by":"1s"})";
  const std::string start = "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\n"
                            "Content-Type: application/json\r\n";
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"two different Content-Length",
       start + "Content-Length: 11\r\nContent-Length: 5\r\n\r\n" + body},
      {"the same Content-Length twice",
       start + "Content-Length: 11\r\nContent-Length: 11\r\n\r\n" + body},
      {"Content-Length and chunked",
       start + "Content-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n" + body +
           "\r\n0\r\n\r\n"},
      {"Content-Length not a number", start + "Content-Length: 11, 11\r\n\r\n" + body},
      {"negative Content-Length", start + "Content-Length: -1\r\n\r\n" + body},
      {"an unknown Transfer-Encoding",
       start + "Transfer-Encoding: gzip, chunked\r\n\r\nb\r\n" + body + "\r\n0\r\n\r\n"},
      {"two Transfer-Encoding",
       start + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n" + body +
           "\r\n0\r\n\r\n"},
  };
  const std::string clock_before = Get("/sim/v1/clock").Json()["now"];
  for (const auto& [name, request] : cases) {
    SCOPED_TRACE(name);
    RawConnection connection(port_);
    const Response response = connection.Exchange(request);
    ExpectErrorBody(response, 400);
    EXPECT_NE(Message(response).find("framing"), std::string::npos) << Message(response);
    EXPECT_EQ(response.Header("Connection"), "close");
    EXPECT_EQ(response.headers.count("Content-Type"), 1u);
    EXPECT_TRUE(connection.ClosedByServer());
  }
  EXPECT_EQ(Get("/sim/v1/clock").Json()["now"], clock_before);
  // Plain chunked bodies are still fine.
  RawConnection chunked(port_);
  const Response response = chunked.Exchange(start + "Transfer-Encoding: chunked\r\n\r\nb\r\n" +
                                             body + "\r\n0\r\n\r\n");
  EXPECT_EQ(response.status, 200) << response.body;
  ExpectAlive();
}

// Requests sent before the answer to the one before (HTTP/1.1 pipelining) are each answered, in
// order, on the same connection: the bytes read ahead are the next request, not lost.
TEST_F(HostileTest, PipelinedRequestsAreEachAnsweredInOrder) {
  const std::string get = "GET /api/v2/conversations/" + kConversationId +
                          " HTTP/1.1\r\nHost: gcsim\r\nAuthorization: Bearer " + token_ +
                          "\r\n\r\n";
  const std::string patch_body = R"({"dispositionCode":"no-answer"})";
  const std::string patch =
      "PATCH " + GenericParticipantPath(kConversationId, kSupervisorId) +
      " HTTP/1.1\r\nHost: gcsim\r\nAuthorization: Bearer " + token_ +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(patch_body.size()) +
      "\r\n\r\n" + patch_body;
  const std::string health = "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\n\r\n";
  std::string burst;
  std::vector<int> expected;
  for (int i = 0; i < 17; ++i) {
    burst += get + patch + health;
    expected.insert(expected.end(), {200, 204, 200});  // the seed's no-op PATCH: 204
  }
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send(burst));  // 51 requests in one go
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("answer " + std::to_string(i));
    const Response response = connection.Read();
    ASSERT_EQ(response.status, expected[i]) << response.body;
    if (expected[i] == 200 && i % 3 == 0) {
      EXPECT_EQ(response.Json().value("id", ""), kConversationId);
    }
  }
  // The connection is still open, and a request that asks to close it closes it.
  const Response last = connection.Exchange(
      "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nConnection: close\r\n\r\n" + health);
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.Header("Connection"), "close");
  EXPECT_TRUE(connection.ClosedByServer());  // what followed it was not answered
}

// A request cpp-httplib cannot parse leaves no telling where the next one starts: it is answered
// once, and its connection closes (the lines after it were answered as requests of their own).
TEST_F(HostileTest, AnUnparsableRequestIsAnsweredOnceAndItsConnectionClosed) {
  for (const std::string request :
       {"PROPFIND /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nConnection: close\r\n\r\n",
        "GET /sim/v1/health HTTP/1.1 extra\r\nHost: gcsim\r\n\r\n"}) {
    SCOPED_TRACE(request);
    RawConnection connection(port_);
    const Response response = connection.Exchange(request);
    ExpectErrorBody(response, 400);
    EXPECT_EQ(response.Header("Connection"), "close");
    EXPECT_FALSE(response.HasHeader("Keep-Alive"));
    EXPECT_TRUE(connection.ClosedByServer());
  }
  ExpectAlive();
}

// A Content-Length past the body limit is answered before the body arrives (cpp-httplib would
// read and discard it, or wait for it until its read timeout), and the connection closes.
TEST_F(HostileTest, AContentLengthPastTheLimitIsAnsweredWithoutItsBody) {
  for (const std::string length : {"1000000000", "99999999999999999999999999"}) {
    SCOPED_TRACE(length);
    RawConnection connection(port_);
    const Response response = connection.Exchange(
        "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        length + "\r\n\r\n{\"by\":");
    ExpectErrorBody(response, 413, "request.entity.too.large");
    EXPECT_EQ(response.Header("Connection"), "close");
    EXPECT_TRUE(connection.ClosedByServer());
  }
  ExpectAlive();
}

// cpp-httplib keeps a line it reads without bound (a line of a gigabyte took the process down):
// a request's line and headers are held to 64 KiB. The answer comes while the line is still
// arriving, and its connection closes.
TEST_F(HostileTest, AnEndlessRequestLineOrHeaderIsRefusedBeforeItEnds) {
  const std::vector<std::tuple<const char*, std::string, int>> cases = {
      {"request line", "GET /", 431},
      {"header", "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nX-Long: ", 431},
      {"many headers", "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\n", 431},
      {"one-byte chunks",
       "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\nContent-Type: application/json\r\n"
       "Transfer-Encoding: chunked\r\n\r\n",
       431},
  };
  for (const auto& [name, start, status] : cases) {
    SCOPED_TRACE(name);
    RawConnection connection(port_);
    ASSERT_TRUE(connection.Send(start));
    // 8 MiB, and never the line's (or the headers') end: the server must not wait for it.
    const auto repeated = [](std::string_view unit) {
      std::string bytes;
      while (bytes.size() < 65536) bytes += unit;
      return bytes;
    };
    const std::string chunk = std::string(name) == "many headers"      ? repeated("X-h: v\r\n")
                              : std::string(name) == "one-byte chunks" ? repeated("1\r\n \r\n")
                                                                       : std::string(65536, 'a');
    auto sender = std::async(std::launch::async, [&connection, chunk = chunk] {
      for (int i = 0; i < 128 && connection.Send(chunk);) ++i;
    });
    const Response response = connection.Read();
    ExpectErrorBody(response, status);
    EXPECT_EQ(response.Header("Connection"), "close");
    sender.wait();
  }
  ExpectAlive();
}

// What a client says of its connection is read as HTTP says (any case, a list, HTTP/1.0's
// default), and every answer says what becomes of the connection.
TEST_F(HostileTest, EveryAnswerSaysWhatBecomesOfItsConnection) {
  const std::string health = "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\n\r\n";
  for (const std::string request :
       {"GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nConnection: Close\r\n\r\n",
        "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nConnection: keep-alive, close\r\n\r\n",
        "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nConnection: keep-alive\r\n"
        "Connection: close\r\n\r\n",
        "GET /sim/v1/health HTTP/1.0\r\nHost: gcsim\r\n\r\n"}) {
    SCOPED_TRACE(request);
    RawConnection connection(port_);
    const Response response = connection.Exchange(request + health);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.Header("Connection"), "close");
    EXPECT_FALSE(response.HasHeader("Keep-Alive"));
    EXPECT_TRUE(connection.ClosedByServer());  // the request after it was not answered
  }
  // HTTP/1.0 that asks to keep the connection is told it is kept, and it is.
  RawConnection kept(port_);
  const std::string keep =
      "GET /sim/v1/health HTTP/1.0\r\nHost: gcsim\r\nConnection: keep-alive\r\n\r\n";
  const Response first = kept.Exchange(keep + keep);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.Header("Connection"), "keep-alive");
  EXPECT_EQ(kept.Read().status, 200);
}

// cpp-httplib 0.11 takes a chunked body that lacks its last chunk, and would read what follows
// as the next request (a request smuggled inside a body): a chunked request's connection closes
// after its answer.
TEST_F(HostileTest, AChunkedRequestsConnectionClosesAfterItsAnswer) {
  RawConnection connection(port_);
  const Response response = connection.Exchange(
      "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\nb\r\n{\"by\":\"1s\"}XX\r\n"
      "POST /sim/v1/reset HTTP/1.1\r\nHost: gcsim\r\n\r\n");
  EXPECT_EQ(response.Header("Connection"), "close");
  EXPECT_TRUE(connection.ClosedByServer());  // the smuggled reset was not answered
}

// A body announced past the limit is refused at once, not invited with 100 Continue.
TEST_F(HostileTest, AnOversizedBodyIsNotInvitedWith100Continue) {
  RawConnection connection(port_);
  const Response response = connection.Exchange(
      "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 5000000\r\n\r\n");
  ExpectErrorBody(response, 413, "request.entity.too.large");
  EXPECT_TRUE(connection.ClosedByServer());
}

std::string Gzip(const std::string& text) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST_F(HostileTest, BodiesStayWithinTheLimitHoweverTheyAreFramed) {
  const std::string start = "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\n"
                            "Content-Type: application/json\r\n";
  const std::string big = R"({"by":"1s","pad":")" + std::string(3 << 20, 'x') + "\"}";
  {
    SCOPED_TRACE("chunked, 3 MiB");
    std::ostringstream size;
    size << std::hex << big.size();
    RawConnection connection(port_);
    const Response response = connection.Exchange(start + "Transfer-Encoding: chunked\r\n\r\n" +
                                                  size.str() + "\r\n" + big + "\r\n0\r\n\r\n");
    ExpectErrorBody(response, 413, "request.entity.too.large");
    EXPECT_TRUE(connection.ClosedByServer());
  }
  {
    SCOPED_TRACE("a gzip bomb: 3 MiB once inflated");
    const std::string bomb = Gzip(big);
    ASSERT_LT(bomb.size(), 100'000u);
    RawConnection connection(port_);
    const Response response = connection.Exchange(
        start + "Content-Encoding: gzip\r\nContent-Length: " + std::to_string(bomb.size()) +
        "\r\n\r\n" + bomb);
    ExpectErrorBody(response, 413, "request.entity.too.large");
  }
  {
    SCOPED_TRACE("multipart");
    RawConnection connection(port_);
    const std::string part = "--b\r\nContent-Disposition: form-data; name=\"by\"\r\n\r\n1s\r\n--b--\r\n";
    const Response response = connection.Exchange(
        "POST /sim/v1/clock/advance HTTP/1.1\r\nHost: gcsim\r\nContent-Type: multipart/form-data; "
        "boundary=b\r\nContent-Length: " + std::to_string(part.size()) + "\r\n\r\n" + part);
    ExpectErrorBody(response, 415, "unsupported.media.type");
  }
  {
    SCOPED_TRACE("a GET with a body that looks like a request");
    const std::string hidden = "POST /sim/v1/reset HTTP/1.1\r\nHost: gcsim\r\n\r\n";
    RawConnection connection(port_);
    const Response response = connection.Exchange(
        "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nContent-Length: " +
        std::to_string(hidden.size()) + "\r\n\r\n" + hidden);
    ExpectErrorBody(response, 400);
    EXPECT_TRUE(connection.ClosedByServer());
  }
  // A gzip body within the limit is still read, inflated.
  RawConnection connection(port_);
  const std::string small = Gzip(R"({"by":"1s"})");
  const Response response = connection.Exchange(start + "Content-Encoding: gzip\r\nContent-Length: " +
                                                std::to_string(small.size()) + "\r\n\r\n" + small);
  EXPECT_EQ(response.status, 200) << response.body;
  ExpectAlive();
}

// --- what already passed, kept passing ------------------------------------------------------

TEST_F(HostileTest, WrongTypesInEveryPatchFieldAreRefused) {
  const std::string path = GenericParticipantPath(kConversationId, kSupervisorId);
  const json before = State();
  for (const char* field : {"state", "recording", "muted", "confined", "held", "wrapupSkipped",
                            "resumeTime", "wrapup"}) {
    for (const json& value : {json(42), json(nullptr), json::array({1}), json(1.5e308),
                              json(-9223372036854775807LL)}) {
      SCOPED_TRACE(std::string(field) + "=" + value.dump());
      if (std::string(field) == "wrapup" && value.is_array()) continue;  // covered above
      const Response response = SendJson("PATCH", path, json{{field, value}}.dump(), token_);
      EXPECT_GE(response.status, 400);
      EXPECT_LT(response.status, 500);
      ExpectErrorBody(response, response.status, response.Json().value("code", ""));
    }
  }
  EXPECT_EQ(State(), before);
  ExpectAlive();
}

TEST_F(HostileTest, InvalidUtf8AndNulsAreRefusedCleanly) {
  const std::string path = GenericParticipantPath(kConversationId, kSupervisorId);
  for (const std::string& body :
       {std::string("{\"state\":\"\xc3\x28\"}"), std::string("{\"st\0ate\":1}", 12),
        std::string("\0\0\0\0", 4), std::string("{\"state\":\"disconnected\"}\0", 25),
        std::string("{\"\xff\":1}")}) {
    const Response response = SendJson("PATCH", path, body, token_);
    ExpectErrorBody(response, 400);
  }
  // NULs and bad UTF-8 in the path and in ids.
  RawConnection connection(port_);
  const Response response = connection.Exchange("GET /api/v2/conversations/" +
                                                std::string("\xff\0x", 3) +
                                                " HTTP/1.1\r\nHost: gcsim\r\n\r\n");
  EXPECT_GE(response.status, 400);
  EXPECT_LT(response.status, 500);
  ExpectAlive();
}

TEST_F(HostileTest, HugeHeadersGarbageAndHttp2AreRefused) {
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"a 1 MiB header", "GET /sim/v1/health HTTP/1.1\r\nHost: gcsim\r\nX-Big: " +
                             std::string(1 << 20, 'a') + "\r\n\r\n"},
      {"a 1 MiB request line", "GET /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\n\r\n"},
      {"garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15)},
      {"an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
      {"HTTP/0.9", "GET /\r\n\r\n"},
      {"PRI without a body", "PRI * HTTP/1.1\r\n\r\n"},
  };
  for (const auto& [name, request] : cases) {
    SCOPED_TRACE(name);
    RawConnection connection(port_);
    const Response response = connection.Exchange(request);
    EXPECT_GE(response.status, 400) << response.body;
    EXPECT_LT(response.status, 500) << response.body;
    ExpectErrorBody(response, response.status, response.Json().value("code", ""));
    ExpectAlive();
  }
}

// The API ignores Range: every answer is whole, with its own status. cpp-httplib would cut a
// 200's body to the range (or make it multipart) and still say 200.
TEST_F(HostileTest, RangeHeadersAreIgnored) {
  const std::string path = "/api/v2/conversations/" + kConversationId;
  const Response whole = Send("GET", path, "", Auth(token_));
  ASSERT_EQ(whole.status, 200);
  for (const std::string range : {"bytes=0-10", "bytes=0-1,5-6,9-20", "bytes=-5"}) {
    SCOPED_TRACE(range);
    httplib::Headers headers = Auth(token_);
    headers.emplace("Range", range);
    const Response ranged = Send("GET", path, "", headers);
    EXPECT_EQ(ranged.status, 200);
    EXPECT_EQ(ranged.body, whole.body);
    EXPECT_FALSE(ranged.HasHeader("Content-Range"));
  }
  // One that cannot be parsed is refused before any handler runs; it says why.
  httplib::Headers headers = Auth(token_);
  headers.emplace("Range", "bytes=abc");
  const Response refused = Send("GET", path, "", headers);
  ExpectErrorBody(refused, 416);
  EXPECT_NE(refused.Json().value("message", "").find("Range"), std::string::npos) << refused.body;
  ExpectAlive();
}

}  // namespace
}  // namespace gcsim::http::testing
