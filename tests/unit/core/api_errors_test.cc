#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"

namespace gcsim::core {
namespace {

struct Row {
  std::string_view code;
  int http_status;
  StatusCode status_code;
};
// How gtest (and so ctest's test names) shows a row: its code, not the bytes of a string_view.
void PrintTo(const Row& row, std::ostream* out) { *out << row.code; }

class ApiErrorTableTest : public testing::TestWithParam<Row> {};

TEST_P(ApiErrorTableTest, MapsCodeToHttpStatusAndStatusCode) {
  const Status status = ApiStatus(GetParam().code);
  EXPECT_EQ(status.reason(), GetParam().code);
  EXPECT_EQ(status.code(), GetParam().status_code);
  EXPECT_EQ(HttpStatusOf(status), GetParam().http_status);
  EXPECT_EQ(ApiCodeOf(status), GetParam().code);
  EXPECT_FALSE(status.message().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Codes, ApiErrorTableTest,
    testing::Values(Row{codes::kBadRequest, 400, StatusCode::kInvalidArgument},
                    Row{codes::kInvalidValue, 400, StatusCode::kInvalidArgument},
                    Row{codes::kCallDisconnected, 400, StatusCode::kFailedPrecondition},
                    Row{codes::kNotAUser, 400, StatusCode::kPermissionDenied},
                    Row{codes::kNotParticipant, 404, StatusCode::kNotFound},
                    Row{codes::kNotFound, 404, StatusCode::kNotFound},
                    Row{codes::kAuthRequired, 401, StatusCode::kUnauthenticated},
                    Row{codes::kBadCredentials, 401, StatusCode::kUnauthenticated},
                    Row{codes::kMethodNotAllowed, 405, StatusCode::kInvalidArgument},
                    Row{codes::kTooLarge, 413, StatusCode::kInvalidArgument},
                    Row{codes::kUnsupportedMediaType, 415, StatusCode::kInvalidArgument},
                    Row{codes::kTooManyRequests, 429, StatusCode::kResourceExhausted},
                    Row{codes::kInternal, 500, StatusCode::kInternal},
                    Row{codes::kUnavailable, 503, StatusCode::kUnavailable}),
    [](const testing::TestParamInfo<Row>& param) {
      std::string name(param.param.code);
      for (char& c : name) {
        if (c == '.') c = '_';
      }
      return name;
    });

TEST(ApiErrorTest, StatusesWithoutReasonGetGenericCodes) {
  EXPECT_EQ(HttpStatusOf(NotFoundError("x")), 404);
  EXPECT_EQ(ApiCodeOf(NotFoundError("x")), "not.found");
  EXPECT_EQ(HttpStatusOf(InternalError("x")), 500);
  EXPECT_EQ(FindApiError("no.such.code"), nullptr);
}

}  // namespace
}  // namespace gcsim::core
