// Request bodies from JSON to typed requests, and what the core answers to what they carry:
// the wire format is read here, the rules are the core's.
#include "requests.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gcsim/core/api_errors.h"
#include "gcsim/core/simulator.h"

namespace gcsim::http {
namespace {

using nlohmann::json;
namespace codes = core::codes;

const std::string kConv(core::kDemoConversationId);
const std::string kSupervisor(core::kDemoSupervisorId);

TEST(RequestsTest, MediaParticipantRequestKeepsUnknownKeysSorted) {
  const auto request = ReadMediaParticipantRequest(
      {{"id", "x"}, {"state", "disconnected"}, {"wrapup", {{"code", "c"}, {"mood", 1}}},
       {"dropReason", "timeout"}, {"muted", "yes"}, {"resumeTime", "tomorrow"}});
  EXPECT_EQ(request.unknown_fields,
            (std::vector<std::string>{"dropReason", "id", "wrapup.mood"}));
  EXPECT_EQ(request.state.value, "disconnected");
  EXPECT_TRUE(request.muted.wrong_type());
  EXPECT_FALSE(request.held.present);
  EXPECT_TRUE(request.resume_time.wrong_type());
  ASSERT_TRUE(request.wrapup.has_value());
  EXPECT_EQ(request.wrapup->code, "c");
  EXPECT_FALSE(request.wrapup_error.has_value());

  const auto bad_wrapup = ReadMediaParticipantRequest({{"wrapup", {{"code", 5}}}});
  EXPECT_EQ(bad_wrapup.wrapup_error, "wrapup.code must be a string.");
  const auto on_time = ReadMediaParticipantRequest({{"resumeTime", "2026-01-01T09:05:00.000Z"}});
  EXPECT_TRUE(on_time.resume_time.value.has_value());
}

TEST(RequestsTest, ConversationUpdateKeepsWhatWasSentAsText) {
  const auto number = ReadConversationUpdateRequest({{"state", 3}, {"x", 1}});
  EXPECT_EQ(number.state, "3");
  EXPECT_FALSE(number.state_is_string);
  EXPECT_EQ(number.unknown_fields, std::vector<std::string>{"x"});
  const auto text = ReadConversationUpdateRequest({{"state", "disconnected"}});
  EXPECT_EQ(text.state, "disconnected");
  EXPECT_TRUE(text.state_is_string);
}

TEST(RequestsTest, CreateCallShapeErrorsNameTheField) {
  EXPECT_EQ(ReadCreateCallRequest({{"phoneNumber", 5}}).status().message(),
            "Field phoneNumber must be a string.");
  EXPECT_NE(ReadCreateCallRequest({{"conversationIds", json::array()}}).status().message().find(
                "conversationIds"),
            std::string::npos);
  EXPECT_EQ(ReadCreateCallRequest({{"participants", {{{"name", "n"}}}}}).status().message(),
            "participants[] needs an address, userId or queueId.");
  const auto call = ReadCreateCallRequest(
      {{"callQueueId", "q"}, {"participants", {{{"userId", "u"}}, {{"address", "tel:+1"}}}}});
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->call_queue_id, "q");
  ASSERT_EQ(call->participants.size(), 2u);
  EXPECT_EQ(call->participants[0].purpose, core::Purpose::kUser);
  EXPECT_EQ(call->participants[1].purpose, core::Purpose::kExternal);
}

TEST(RequestsTest, AddParticipantsShapeErrorWaitsForTheId) {
  const auto request = ReadAddParticipantsRequest({{"participants", "everyone"}});
  EXPECT_EQ(request.malformed.message(), "Field participants must be an array.");
  ManualClock clock;
  auto sim = core::Simulator::Create({.clock = &clock}, core::DemoWorld()).value();
  // An unknown conversation is a 404 before the body's shape is judged.
  EXPECT_EQ(sim->AddParticipants("00000000-0000-4000-8000-000000000000", request)
                .status()
                .reason(),
            codes::kNotFound);
  EXPECT_EQ(sim->AddParticipants(kConv, request).status().message(),
            "Field participants must be an array.");
}

class RequestsThroughCoreTest : public testing::Test {
 protected:
  void Start(core::Profile profile = core::Profile::kObserved) {
    sim_ = core::Simulator::Create({.clock = &clock_, .profile = profile}, core::DemoWorld()).value();
  }
  void SetUp() override { Start(); }
  core::UpdateOutcome Patch(const json& body) {
    return sim_->UpdateParticipant(kConv, kSupervisor, ReadMediaParticipantRequest(body),
                                   {"demo-client", ""}, core::ParticipantRoute::kGeneric);
  }
  core::Participant Supervisor() {
    core::Participant copy;
    sim_->Read([&](const core::WorldView& view) { copy = *view.FindParticipant(kSupervisor); });
    return copy;
  }
  ManualClock clock_;
  std::unique_ptr<core::Simulator> sim_;
};

TEST_F(RequestsThroughCoreTest, WrongTypesAreBadRequestsNamingTheField) {
  for (const json& body : {json{{"muted", "yes"}}, json{{"state", 3}}, json{{"wrapup", "done"}},
                           json{{"held", 1}, {"state", "disconnected"}}}) {
    const core::UpdateOutcome out = Patch(body);
    EXPECT_EQ(out.http_status, 400) << body.dump();
    EXPECT_EQ(out.status.reason(), codes::kBadRequest) << body.dump();
    EXPECT_EQ(out.field_errors.size(), 1u) << body.dump();
  }
  EXPECT_EQ(Patch({{"resumeTime", "tomorrow"}}).status.reason(), codes::kInvalidDate);
  // The API checks state before the flags: a bad state wins over a bad flag.
  const core::UpdateOutcome both = Patch({{"state", "gone"}, {"muted", "yes"}});
  EXPECT_EQ(both.status.reason(), codes::kInvalidValue);
  EXPECT_EQ(both.field_errors.at(0).field, "state");
  EXPECT_EQ(Supervisor().state, core::LegState::kConnected);
}

TEST_F(RequestsThroughCoreTest, WrapupKeepsOnlyThePublishedFields) {
  const json wrapup = {{"code", "resolved"},
                       {"notes", "called back"},
                       {"tags", {"vip"}},
                       {"durationSeconds", 30},
                       {"endTime", "2026-01-01T09:05:00.000Z"},
                       {"provisional", false},
                       {"mood", {{"deep", {{"deeper", json::array({1, 2})}}}}}};
  const core::UpdateOutcome out = Patch({{"wrapup", wrapup}});
  EXPECT_EQ(out.http_status, 202);
  EXPECT_EQ(out.ignored_fields, std::vector<std::string>{"wrapup.mood"});
  const HeapOptional<core::Wrapup> kept = Supervisor().wrapup;
  ASSERT_TRUE(kept.has_value());
  json expected = wrapup;
  expected.erase("mood");
  EXPECT_EQ(core::WrapupToJson(*kept), expected);
  // Strict rejects the unknown WrapupInput key like any unknown field.
  Start(core::Profile::kStrict);
  EXPECT_EQ(Patch({{"wrapup", wrapup}}).http_status, 400);
  EXPECT_FALSE(Supervisor().wrapup.has_value());
}

TEST_F(RequestsThroughCoreTest, MalformedWrapupIsRefusedBeforeTheStrictCheck) {
  Start(core::Profile::kStrict);
  const core::UpdateOutcome out = Patch({{"zzz", 1}, {"wrapup", {{"mood", 1}, {"tags", 5}}}});
  EXPECT_EQ(out.field_errors.at(0).field, "wrapup");
  EXPECT_EQ(out.status.message(), "wrapup.tags must be an array of strings.");
  // The unknown keys read so far, unsorted, and no hint: the request never got that far.
  EXPECT_EQ(out.ignored_fields, (std::vector<std::string>{"zzz", "wrapup.mood"}));
  EXPECT_TRUE(out.hint.empty());
}

}  // namespace
}  // namespace gcsim::http
