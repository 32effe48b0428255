#include "gcsim/harness/report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace gcsim::harness {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Well-formed XML 1.0 needs every character to be a Char: no C0 control but tab and newlines,
// and valid UTF-8 throughout (checked here by round-tripping through the JSON library's UTF-8
// validation).
TEST(WriteJunitTest, NamesWithControlCharactersAndBadUtf8StayWellFormed) {
  ScenarioResult result;
  result.name = std::string("bell\x07 and nul\x01 <&> \"quoted\"");
  result.path = "s.json";
  result.error = std::string("bad bytes \xff\xfe and a lone \xc3 and a surrogate \xed\xa0\x80");
  result.failures.push_back({.expectation = "x", .pointer = "/expect/0", .actual = "esc\x1b[0m"});
  const std::string path = testing::TempDir() + "/junit.xml";
  ASSERT_TRUE(WriteJunit(path, {result}).ok());
  const std::string xml = ReadFile(path);
  for (const char c : xml) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_FALSE(byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') << int{byte};
  }
  EXPECT_NO_THROW((void)nlohmann::json(xml).dump());  // throws on invalid UTF-8
  EXPECT_NE(xml.find("bell\xEF\xBF\xBD and nul\xEF\xBF\xBD &lt;&amp;&gt; &quot;quoted&quot;"),
            std::string::npos);
  EXPECT_NE(xml.find("name=\"bell"), std::string::npos);
}

TEST(WriteJsonTest, InvalidUtf8DoesNotThrow) {
  ScenarioResult result;
  result.name = "n";
  result.error = std::string("bad \xff");
  const std::string path = testing::TempDir() + "/report.json";
  ASSERT_TRUE(WriteJson(path, {result}).ok());
  EXPECT_NE(ReadFile(path).find("bad \xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace gcsim::harness
