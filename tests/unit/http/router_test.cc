#include "router.h"

#include <gtest/gtest.h>

namespace gcsim::http {
namespace {

using Kind = Router::Match::Kind;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [method, pattern] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/api/v2/conversations/{conversationId}"},
             {"GET", "/api/v2/conversations/calls"},
             {"POST", "/api/v2/conversations/calls"},
             {"GET", "/api/v2/conversations/calls/{conversationId}"},
             {"PATCH", "/api/v2/conversations/calls/{conversationId}"},
             {"PATCH", "/api/v2/conversations/{conversationId}/participants/{participantId}"},
             {"HEAD", "/api/v2/notifications/channels/{channelId}"},
         }) {
      router_.Add({.method = method, .pattern = pattern, .handler = [pattern = pattern](Exchange&) {
                     return JsonReply(pattern);
                   }});
    }
  }

  std::string Served(std::string_view method, std::string_view path) {
    const Router::Match match = router_.Find(method, path);
    if (match.kind != Kind::kFound) return "";
    Exchange ex;
    return match.route->handler(ex).body.get<std::string>();
  }

  Router router_;
};

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
  EXPECT_EQ(Served("GET", "/api/v2/conversations/calls"), "/api/v2/conversations/calls");
  EXPECT_EQ(Served("GET", "/api/v2/conversations/abc"), "/api/v2/conversations/{conversationId}");
  EXPECT_EQ(Served("GET", "/api/v2/conversations/calls/abc"),
            "/api/v2/conversations/calls/{conversationId}");
}

TEST_F(RouterTest, CapturesParametersByName) {
  const Router::Match match = router_.Find("PATCH", "/api/v2/conversations/c1/participants/p1");
  ASSERT_EQ(match.kind, Kind::kFound);
  EXPECT_EQ(match.params, (PathParams{{"conversationId", "c1"}, {"participantId", "p1"}}));
  Exchange ex;
  ex.path_params = match.params;
  EXPECT_EQ(ex.Param("participantId"), "p1");
  EXPECT_EQ(ex.Param("other"), "");
}

TEST_F(RouterTest, UnknownPathsAndWrongMethods) {
  EXPECT_EQ(router_.Find("GET", "/api/v2/users").kind, Kind::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/api/v2/conversations/").kind, Kind::kNotFound) << "empty id";
  EXPECT_EQ(router_.Find("GET", "/api/v2/conversations/a/b").kind, Kind::kNotFound);
  EXPECT_EQ(router_.Find("GET", "").kind, Kind::kNotFound);

  const Router::Match wrong = router_.Find("DELETE", "/api/v2/conversations/calls");
  EXPECT_EQ(wrong.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(wrong.allow, "GET, POST");
  EXPECT_EQ(router_.Find("POST", "/api/v2/conversations/calls/x").allow, "GET, PATCH");
}

TEST_F(RouterTest, HeadIsServedAsGet) {
  EXPECT_EQ(Served("HEAD", "/api/v2/conversations/calls"), "/api/v2/conversations/calls");
}

// A path served only to HEAD (does a channel still exist?) is not served to GET.
TEST_F(RouterTest, AHeadOnlyPathRefusesGet) {
  EXPECT_EQ(Served("HEAD", "/api/v2/notifications/channels/c1"),
            "/api/v2/notifications/channels/{channelId}");
  const Router::Match get = router_.Find("GET", "/api/v2/notifications/channels/c1");
  EXPECT_EQ(get.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(get.allow, "HEAD");
}

}  // namespace
}  // namespace gcsim::http
