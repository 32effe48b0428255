// Parsing of response bodies into the models. Never throws: a body that is not the expected
// JSON becomes an error Status naming what was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gcsim/client/models.h"
#include "gcsim/common/status.h"

namespace gcsim::client {

// {"access_token","token_type","expires_in"}.
struct TokenReply {
  std::string access_token;
  Duration expires_in{0};
};
Result<TokenReply> ParseTokenReply(std::string_view body);

Result<CallConversation> ParseCallConversation(std::string_view body);

struct AnalyticsPage {
  std::vector<AnalyticsConversation> conversations;
  int total_hits = 0;
};
Result<AnalyticsPage> ParseAnalyticsPage(std::string_view body);

struct MediaPage {
  std::vector<MediaLeg> entities;
  int page_number = 0;
  int page_count = 0;
};
Result<MediaPage> ParseMediaPage(std::string_view body);
// GET /sim/v1/conversations/{cid}/participants/{pid}/media: one leg, the page entity's shape.
Result<MediaLeg> ParseMediaLeg(std::string_view body);

// The useful parts of an error body: Genesys ErrorBody {message, code} or the OAuth server's
// {error, error_description}. Empty strings when the body is neither.
struct ErrorInfo {
  std::string code;
  std::string message;
};
ErrorInfo ParseErrorInfo(std::string_view body);

}  // namespace gcsim::client
