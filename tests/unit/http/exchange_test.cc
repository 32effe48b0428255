#include "exchange.h"

#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"

namespace gcsim::http {
namespace {

using nlohmann::json;

TEST(HttpErrorBodyTest, CodeAndStatusComeFromTheCoreTable) {
  const json body = ErrorBody(core::ApiStatus(core::codes::kCallDisconnected), "ctx",
                              {{.field = "state", .error_code = "invalid.value", .message = "m"}});
  EXPECT_EQ(body, json({{"message", "The call is already disconnected."},
                        {"code", "conversation.error.call.disconnected"},
                        {"status", 400},
                        {"contextId", "ctx"},
                        {"details", {{{"errorCode", "invalid.value"}, {"fieldName", "state"}}}},
                        {"errors", json::array()}}));
  EXPECT_EQ(ErrorBody(InternalError("boom"), "ctx")["code"], "internal.server.error");
  EXPECT_EQ(ErrorBody(core::ApiStatus(core::codes::kBadRequest), "ctx", {}, 414)["status"], 414);
}

TEST(HttpErrorBodyTest, ErrorReplyCarriesTheCorrelationId) {
  Exchange ex;
  ex.correlation_id = "abc";
  const Reply reply = ErrorReply(ex, core::ApiStatus(core::codes::kNotFound));
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body["contextId"], "abc");
  EXPECT_EQ(BadRequest(ex, "why").body["message"], "why");
}

TEST(HttpPagingTest, DefaultsBoundsAndErrors) {
  QueryParams params;
  Exchange ex;
  ex.query = &params;
  auto paging = ParsePaging(ex, 25, 100);
  ASSERT_TRUE(paging.ok());
  EXPECT_EQ(paging->page_size, 25);
  EXPECT_EQ(paging->page_number, 1);
  EXPECT_EQ(paging->PageCount(0), 0);
  EXPECT_EQ(paging->PageCount(26), 2);

  params = {{"pageSize", "10"}, {"pageNumber", "3"}};
  paging = ParsePaging(ex, 25, 100);
  ASSERT_TRUE(paging.ok());
  EXPECT_EQ(paging->first(), 20u);

  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"pageSize", "0"},
                                                        {"pageSize", "101"},
                                                        {"pageSize", "1x"},
                                                        {"pageSize", ""},
                                                        {"pageNumber", "0"},
                                                        {"pageNumber", "-1"},
                                                        {"pageNumber", "99999999999"}}) {
    params = {{name, value}};
    const auto bad = ParsePaging(ex, 25, 100);
    ASSERT_FALSE(bad.ok()) << name << "=" << value;
    EXPECT_EQ(core::ApiCodeOf(bad.status()), "bad.request");
    EXPECT_NE(bad.status().message().find(name), std::string::npos);
  }
}

TEST(HttpPagingTest, QueryWithoutParameters) {
  Exchange ex;
  EXPECT_EQ(ex.Query("pageSize"), std::nullopt);
}

}  // namespace
}  // namespace gcsim::http
