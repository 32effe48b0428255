#include "gcsim/common/json.h"

#include <string>

#include <gtest/gtest.h>

namespace gcsim {
namespace {

std::string Nested(size_t depth, char open, char close, std::string_view inner = "1") {
  return std::string(depth, open) + std::string(inner) + std::string(depth, close);
}

TEST(ParseJsonTest, ParsesWhatNlohmannParses) {
  const auto parsed = ParseJson(R"({"a":[1,2.5,"x",true,null,{"b":{}}],"c":-3})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, nlohmann::json::parse(R"({"a":[1,2.5,"x",true,null,{"b":{}}],"c":-3})"));
  EXPECT_EQ(*ParseJson("42"), 42);
  EXPECT_EQ(*ParseJson("\"s\""), "s");
}

TEST(ParseJsonTest, SyntaxErrorsSayLineAndColumn) {
  const auto parsed = ParseJson("{\n  \"a\": 1,\n  \"b\": }");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message().rfind("line 3, column 8:", 0), 0u)
      << parsed.status().message();
  EXPECT_FALSE(ParseJson("").ok());
  EXPECT_FALSE(ParseJson("{} x").ok());
}

TEST(ParseJsonTest, TheDepthLimitIsExactAndNamesThePlace) {
  EXPECT_TRUE(ParseJson(Nested(kMaxJsonDepth, '[', ']')).ok());
  const auto too_deep = ParseJson(Nested(kMaxJsonDepth + 1, '[', ']'));
  ASSERT_FALSE(too_deep.ok());
  std::string pointer;
  for (size_t i = 0; i < kMaxJsonDepth; ++i) pointer += "/0";
  EXPECT_EQ(too_deep.status().message(), pointer + ": nested deeper than 64 levels");

  const auto in_object = ParseJson(R"({"a":{"b/c":[[1]]}})", {.max_depth = 3});
  ASSERT_FALSE(in_object.ok());
  EXPECT_EQ(in_object.status().message(), "/a/b~1c/0: nested deeper than 3 levels");
}

TEST(ParseJsonTest, HostileDepthIsRefusedWithoutRecursion) {
  // Each of these overflowed the stack once it reached a recursive copy or dump.
  for (const std::string& text :
       {Nested(300'000, '[', ']'), "{\"state\":" + Nested(100'000, '[', ']') + "}",
        std::string(1'000'000, '[')}) {
    const auto parsed = ParseJson(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.status().message().find("nested deeper than"), std::string::npos);
  }
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += "{\"a\":";
  EXPECT_FALSE(ParseJson(objects + "1" + std::string(100'000, '}')).ok());
}

TEST(ParseJsonTest, CommentsOnlyWhenAllowed) {
  const std::string text = "{\n// why\n\"a\": /* one */ 1}";
  EXPECT_FALSE(ParseJson(text).ok());
  const auto parsed = ParseJson(text, {.allow_comments = true});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)["a"], 1);
}

TEST(ParseJsonTest, DuplicateKeysAreAnErrorWhenAsked) {
  const std::string text = R"({"world":{"x":1},"runs":[{"runFor":"1m","runFor":"2m"}]})";
  const auto lenient = ParseJson(text);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->at("runs")[0]["runFor"], "2m");  // as the API's JSON readers do
  const auto strict = ParseJson(text, {.reject_duplicate_keys = true});
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().message(), "/runs/0/runFor: duplicate key \"runFor\"");
  EXPECT_TRUE(ParseJson(R"({"a":{"k":1},"b":{"k":2}})", {.reject_duplicate_keys = true}).ok());
}

TEST(ParseJsonTest, PointerTokensAreEscaped) {
  EXPECT_EQ(JsonPointerToken("a/b~c"), "a~1b~0c");
  EXPECT_EQ(JsonPointerToken(""), "");
}

}  // namespace
}  // namespace gcsim
