// What a route handler sees of a request and what it answers, independent of cpp-httplib: the
// server decodes, authenticates and checks a request before a handler runs, and turns the Reply
// into the HTTP response (adding correlation and rate headers) after.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gcsim/common/status.h"
#include "gcsim/core/faults.h"
#include "gcsim/core/journal.h"
#include "gcsim/core/simulator.h"

namespace gcsim::http {

// Query string parameters (and, for form bodies, the form fields), as cpp-httplib keeps them.
using QueryParams = std::multimap<std::string, std::string>;
// Path parameters by name, in pattern order: {"conversationId", "..."}.
using PathParams = std::vector<std::pair<std::string, std::string>>;

// What a route reads, for the settings and faults that show old data.
enum class Reads {
  kWorldAsItIs,   // writes, the control plane: always the world as it is
  kConversation,  // GET of a conversation: a staleReads fault applies
  kAnalytics,     // analytics: the world's analyticsLag and a staleAnalytics fault apply
};

struct Exchange {
  std::string method;
  std::string path;
  std::string_view body;               // raw, as received
  const QueryParams* query = nullptr;  // may be null: no parameters
  std::string authorization;           // the Authorization header
  std::string content_type;            // the Content-Type header
  PathParams path_params;              // every one a valid UUID
  nlohmann::json json;                 // the decoded object body of JSON routes; null when none
  core::Caller caller;                 // /api/v2 routes: who the bearer token belongs to
  std::string correlation_id;          // ININ-Correlation-Id and every ErrorBody's contextId
  core::JournalEntry journal;          // handlers add what they learned: effect, hint, ids
  // Set before the handler runs: what the route reads, how old a stale view shows the world
  // (staleReads, staleAnalytics), and the fault that befalls the answer (latency, reset, close).
  Reads reads = Reads::kWorldAsItIs;
  Duration stale_lag{};
  std::optional<core::FaultEpisode> answer_fault;
  // A drop's live legs as they were when asked to drop: what its safety is judged from.
  std::vector<core::Participant> dropped_legs;

  // The path parameter `name` ("" when absent).
  const std::string& Param(std::string_view name) const;
  // The first query parameter `name`, if given.
  std::optional<std::string> Query(const std::string& name) const;
};

struct Reply {
  int status = 200;
  nlohmann::json body;  // null: no body
  std::string text;     // a JSON body already written (the hot GETs); wins over `body`
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";  // of `text` or `body`
};

// Reads the world as the exchange's route shows it: as it is, or as it was a while ago (the
// world's analyticsLag for analytics, a stale view's lag).
void ReadWorld(const core::Simulator& sim, Reads reads, Duration stale_lag,
               const std::function<void(const core::WorldView&)>& reader);
void ReadWorld(const core::Simulator& sim, const Exchange& exchange,
               const std::function<void(const core::WorldView&)>& reader);

Reply JsonReply(nlohmann::json body, int status = 200);
Reply EmptyReply(int status);

// A Genesys ErrorBody {message, code, status, contextId, details[], errors[]}. Code and status
// come from core's api_errors table via ApiCodeOf/HttpStatusOf unless `http_status` is given.
// The message keeps at most kMaxErrorMessageBytes.
inline constexpr size_t kMaxErrorMessageBytes = 2048;
nlohmann::json ErrorBody(const Status& status, const std::string& correlation_id,
                         const std::vector<core::FieldError>& field_errors = {},
                         std::optional<int> http_status = std::nullopt);
Reply ErrorReply(const Exchange& exchange, const Status& status,
                 const std::vector<core::FieldError>& field_errors = {});
// 400 bad.request with `message`.
Reply BadRequest(const Exchange& exchange, std::string message);

// pageSize/pageNumber query parameters: pageSize 1..max_size (default default_size),
// pageNumber 1..kMaxPageNumber (default 1). Bad values are a bad.request Status naming the
// parameter.
inline constexpr int kMaxPageNumber = 1'000'000'000;  // page arithmetic stays within int
struct Paging {
  int page_size = 25;
  int page_number = 1;
  // Index of the first item of the page and the page count for `total` items.
  size_t first() const { return static_cast<size_t>(page_number - 1) * page_size; }
  int PageCount(size_t total) const {
    return static_cast<int>((total + page_size - 1) / page_size);
  }
};
Result<Paging> ParsePaging(const Exchange& exchange, int default_size, int max_size);

// For header values compared case-insensitively ("Bearer", "application/json").
std::string AsciiLower(std::string_view text);

}  // namespace gcsim::http
