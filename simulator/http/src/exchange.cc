#include "exchange.h"

#include <algorithm>
#include <cctype>

#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "gcsim/core/past_view.h"

namespace gcsim::http {

using nlohmann::json;

const std::string& Exchange::Param(std::string_view name) const {
  static const std::string kNone;
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  return kNone;
}

std::optional<std::string> Exchange::Query(const std::string& name) const {
  if (query == nullptr) return std::nullopt;
  const auto it = query->find(name);
  if (it == query->end()) return std::nullopt;
  return it->second;
}

void ReadWorld(const core::Simulator& sim, Reads reads, Duration stale_lag,
               const std::function<void(const core::WorldView&)>& reader) {
  sim.Read([&](const core::WorldView& live) {
    Duration lag = stale_lag;
    if (reads == Reads::kAnalytics) lag = std::max(lag, live.analytics_lag());
    if (lag <= Duration::zero()) return reader(live);
    const core::PastView past(live, live.now() - lag);
    reader(past);
  });
}

void ReadWorld(const core::Simulator& sim, const Exchange& exchange,
               const std::function<void(const core::WorldView&)>& reader) {
  ReadWorld(sim, exchange.reads, exchange.stale_lag, reader);
}

Reply JsonReply(json body, int status) { return Reply{status, std::move(body), {}}; }

Reply EmptyReply(int status) { return Reply{status, nullptr, {}}; }

json ErrorBody(const Status& status, const std::string& correlation_id,
               const std::vector<core::FieldError>& field_errors, std::optional<int> http_status) {
  json details = json::array();
  for (const core::FieldError& error : field_errors) {
    details.push_back({{"errorCode", error.error_code}, {"fieldName", error.field}});
  }
  std::string message = status.message();
  Truncate(message, kMaxErrorMessageBytes);  // it may echo what the client sent, at any length
  return {{"message", std::move(message)},
          {"code", core::ApiCodeOf(status)},
          {"status", http_status.value_or(core::HttpStatusOf(status))},
          {"contextId", correlation_id},
          {"details", std::move(details)},
          {"errors", json::array()}};
}

Reply ErrorReply(const Exchange& exchange, const Status& status,
                 const std::vector<core::FieldError>& field_errors) {
  return JsonReply(ErrorBody(status, exchange.correlation_id, field_errors),
                   core::HttpStatusOf(status));
}

Reply BadRequest(const Exchange& exchange, std::string message) {
  return ErrorReply(exchange, core::ApiStatus(core::codes::kBadRequest, std::move(message)));
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<Paging> ParsePaging(const Exchange& exchange, int default_size, int max_size) {
  Paging paging{.page_size = default_size, .page_number = 1};
  if (const auto text = exchange.Query("pageSize")) {
    const auto value = ParseInteger(*text);
    if (!value || *value < 1 || *value > max_size) {
      return core::ApiStatus(core::codes::kBadRequest, "pageSize [" + *text +
                                                           "] must be a whole number from 1 to " +
                                                           std::to_string(max_size) + ".");
    }
    paging.page_size = static_cast<int>(*value);
  }
  if (const auto text = exchange.Query("pageNumber")) {
    const auto value = ParseInteger(*text);
    if (!value || *value < 1 || *value > kMaxPageNumber) {
      return core::ApiStatus(core::codes::kBadRequest, "pageNumber [" + *text +
                                                           "] must be a whole number from 1 to " +
                                                           std::to_string(kMaxPageNumber) + ".");
    }
    paging.page_number = static_cast<int>(*value);
  }
  return paging;
}

}  // namespace gcsim::http
