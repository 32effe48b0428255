// Bad input of every kind: each answer is the right ErrorBody, its contextId is the response's
// ININ-Correlation-Id, and the world is unchanged.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

// Bytes in, bytes out, for requests httplib::Client will not send (no Content-Type, not HTTP).
Response RawExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return {};
  }
  (void)!send(fd, request.data(), request.size(), 0);
  // Read exactly one response (headers, then Content-Length bytes): the connection stays open.
  std::string raw;
  char buffer[4096];
  size_t head_end = std::string::npos;
  size_t wanted = std::string::npos;
  while (wanted == std::string::npos || raw.size() < wanted) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = raw.find("\r\n\r\n")) != std::string::npos) {
      const size_t length = raw.find("Content-Length: ");
      wanted = head_end + 4 + (length < head_end ? std::stoul(raw.substr(length + 16)) : 0);
    }
  }
  close(fd);

  Response response;
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return response;
  response.status = std::stoi(raw.substr(9, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    const size_t next = raw.find("\r\n", line);
    const std::string header = raw.substr(line, next - line);
    const size_t colon = header.find(':');
    response.headers.emplace(header.substr(0, colon), header.substr(colon + 2));
    line = next + 2;
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

struct BadRequestCase {
  const char* name;
  std::string method;
  std::string path;
  std::string body;
  std::string content_type = "application/json";
  int status = 400;
  std::string code = "bad.request";
  std::string message_part;  // the message says this
  std::string detail_field;  // when set: the one details[] entry names this field
};

class ErrorsTest : public ServerFixture {};

TEST_F(ErrorsTest, EachBadRequestIsTheRightErrorBodyAndChangesNothing) {
  const std::string supervisor = GenericParticipantPath(kConversationId, kSupervisorId);
  const std::string nobody =
      GenericParticipantPath(kConversationId, "00000000-0000-4000-8000-000000000000");
  const std::vector<BadRequestCase> cases = {
      {.name = "malformed JSON",
       .method = "PATCH",
       .path = supervisor,
       .body = R"({"state":)",
       .message_part = "line 1, column 10: syntax error"},
      {.name = "array body",
       .method = "PATCH",
       .path = supervisor,
       .body = R"(["state"])",
       .message_part = "must be a JSON object, not an array"},
      {.name = "string body",
       .method = "PATCH",
       .path = supervisor,
       .body = R"("disconnected")",
       .message_part = "must be a JSON object, not a string"},
      {.name = "empty body",
       .method = "PATCH",
       .path = supervisor,
       .body = "",
       .message_part = "body is required"},
      {.name = "wrong field type",
       .method = "PATCH",
       .path = supervisor,
       .body = R"({"muted":"yes"})",
       .message_part = "muted",
       .detail_field = "muted"},
      {.name = "bad enum",
       .method = "PATCH",
       .path = supervisor,
       .body = R"({"state":"gone"})",
       .code = "invalid.value",
       .message_part =
           "Value [gone] is not valid for field type [state]. Allowable values are: "
           "alerting, dialing, contacting, offering, connected, disconnected, terminated, "
           "converting, uploading, transmitting, parked, none",
       .detail_field = "state"},
      {.name = "state not a command",
       .method = "PATCH",
       .path = supervisor,
       .body = R"({"state":"parked"})",
       .message_part = "connected or disconnected",
       .detail_field = "state"},
      {.name = "wrong content type",
       .method = "PATCH",
       .path = supervisor,
       .body = R"({"state":"disconnected"})",
       .content_type = "text/plain",
       .status = 415,
       .code = "unsupported.media.type",
       .message_part = "text/plain"},
      {.name = "form content type",
       .method = "POST",
       .path = "/api/v2/conversations/calls",
       .body = "phoneNumber=1",
       .content_type = "application/x-www-form-urlencoded",
       .status = 415,
       .code = "unsupported.media.type",
       .message_part = "application/json"},
      {.name = "invalid participant UUID",
       .method = "PATCH",
       .path = GenericParticipantPath(kConversationId, "not-a-uuid"),
       .body = R"({"state":"disconnected"})",
       .message_part = "participantId [not-a-uuid] is not a valid UUID"},
      {.name = "invalid conversation UUID",
       .method = "GET",
       .path = "/api/v2/conversations/calls/42",
       .message_part = "conversationId [42] is not a valid UUID"},
      {.name = "unknown conversation",
       .method = "GET",
       .path = "/api/v2/conversations/00000000-0000-4000-8000-000000000000",
       .status = 404,
       .code = "not.found",
       .message_part = "00000000-0000-4000-8000-000000000000"},
      {.name = "unknown participant",
       .method = "PATCH",
       .path = nobody,
       .body = R"({"state":"disconnected"})",
       .status = 404,
       .code = "conversation.error.not.conversation.participant"},
      {.name = "unknown route",
       .method = "GET",
       .path = "/api/v2/presence/definitions",
       .status = 404,
       .code = "not.found",
       .message_part = "/api/v2/presence/definitions"},
      {.name = "unknown control route",
       .method = "GET",
       .path = "/sim/v1/chaos",
       .status = 404,
       .code = "not.found"},
      {.name = "wrong method",
       .method = "PUT",
       .path = "/api/v2/conversations/" + kConversationId,
       .status = 405,
       .code = "method.not.allowed",
       .message_part = "allowed: DELETE, GET"},
      {.name = "bad analytics body",
       .method = "POST",
       .path = "/api/v2/analytics/conversations/details/query",
       .body = "[]",
       .message_part = "JSON object"},
      {.name = "bad advance body",
       .method = "POST",
       .path = "/sim/v1/clock/advance",
       .body = "{by}",
       .message_part = "syntax error"},
      {.name = "bad media body",
       .method = "POST",
       .path =
           "/sim/v1/conversations/" + kConversationId + "/participants/" + kSupervisorId + "/media",
       .body = R"({"speaking":"loud"})",
       .message_part = "speaking"},
  };
  const std::string token = Token();
  const json before = State();
  for (const BadRequestCase& c : cases) {
    SCOPED_TRACE(c.name);
    httplib::Headers headers = Auth(token);
    if (!c.body.empty()) headers.emplace("Content-Type", c.content_type);
    const Response response = Send(c.method, c.path, c.body, headers);
    ExpectErrorBody(response, c.status, c.code);
    const json body = response.Json();
    EXPECT_NE(body.value("message", "").find(c.message_part), std::string::npos) << body.dump();
    if (!c.detail_field.empty()) {
      ASSERT_EQ(body["details"].size(), 1u);
      EXPECT_EQ(body["details"][0]["fieldName"], c.detail_field);
      EXPECT_EQ(body["details"][0]["errorCode"], c.code);
    }
    EXPECT_EQ(State(), before);
  }
  // Every refusal is in the journal with its status.
  int refused = 0;
  for (const json& entry : Journal()) refused += entry.value("status", 0) >= 400;
  EXPECT_EQ(refused, static_cast<int>(cases.size()));
}

TEST_F(ErrorsTest, WrongMethodNamesTheAllowedOnes) {
  const Response response =
      Send("GET", GenericParticipantPath(kConversationId, kSupervisorId), "", Auth(Token()));
  ExpectErrorBody(response, 405, "method.not.allowed");
  EXPECT_EQ(response.Header("Allow"), "PATCH");
  EXPECT_EQ(Send("PUT", "/api/v2/conversations/calls").Header("Allow"), "GET, POST");
}

TEST_F(ErrorsTest, JsonWithCharsetIsAccepted) {
  const Response response =
      Send("PATCH", GenericParticipantPath(kConversationId, kCustomerId), R"({"muted":true})",
           {{"Authorization", "Bearer " + Token()},
            {"Content-Type", "Application/JSON; charset=utf-8"}});
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(Media(kCustomerId)["muted"], true);
}

TEST_F(ErrorsTest, MissingContentTypeIs415) {
  const std::string body = R"({"state":"disconnected"})";
  const Response response = RawExchange(
      port_, "PATCH " + GenericParticipantPath(kConversationId, kSupervisorId) +
                 " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + Token() +
                 "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  ExpectErrorBody(response, 415, "unsupported.media.type");
  EXPECT_NE(response.Json()["message"].get<std::string>().find("missing"), std::string::npos);
  EXPECT_EQ(Media(kSupervisorId)["flowing"], true);
}

TEST_F(ErrorsTest, UnparsableHttpIsAnErrorBodyToo) {
  const Response response = RawExchange(port_, "GET\r\n\r\n");
  ExpectErrorBody(response, 400, "bad.request");
  EXPECT_EQ(response.Header("inin-ratelimit-count"), "0");
}

TEST_F(ErrorsTest, HugeBodyIs413) {
  const json before = State();
  const std::string huge = R"({"state":"disconnected","pad":")" + std::string(2 << 20, 'x') + "\"}";
  const Response response =
      SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId), huge, Token());
  ExpectErrorBody(response, 413, "request.entity.too.large");
  EXPECT_EQ(State(), before);
  // The connection is still usable afterwards.
  EXPECT_EQ(Get("/sim/v1/health").status, 200);
}

TEST_F(ErrorsTest, InvalidUtf8IsEchoedSafely) {
  const Response response = SendJson("POST", "/sim/v1/clock/advance", "{\"by\":\"\xff\xfe\"}");
  ExpectErrorBody(response, 400, "bad.request");
}

}  // namespace
}  // namespace gcsim::http::testing
