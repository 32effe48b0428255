#include "render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gcsim/core/simulator.h"
#include "requests.h"

namespace gcsim::http {
namespace {

using nlohmann::json;

// The text writer must produce JSON any parser reads back field for field, escapes included.
TEST(RenderTest, ConversationTextParsesBackWithEveryField) {
  ManualClock clock;
  core::WorldSpec world = core::DemoWorld();
  world.conversations[0].name = "Quote \" backslash \\ tab \t newline \n bell \x07 caf\xc3\xa9";
  auto sim = core::Simulator::Create({.clock = &clock}, world).value();
  ASSERT_TRUE(sim->UpdateParticipant(std::string(core::kDemoConversationId),
                                     std::string(core::kDemoSupervisorId),
                                     ReadMediaParticipantRequest({{"state", "disconnected"},
                                                                  {"wrapup", {{"code", "x\"y"}}}}),
                                     {}, core::ParticipantRoute::kGeneric).status.ok());
  clock.Advance(std::chrono::seconds(1));
  std::string conversation, call;
  sim->Read([&](const core::WorldView& view) {
    const core::Conversation& conv = *view.FindConversation(std::string(core::kDemoConversationId));
    conversation = ConversationText(conv);
    call = CallConversationText(view, conv);
  });
  const json c = json::parse(conversation);
  EXPECT_EQ(c["name"], world.conversations[0].name);
  EXPECT_EQ(c["maxParticipants"], 10);
  EXPECT_EQ(c["divisions"], json::array());
  EXPECT_FALSE(c.contains("endTime"));
  ASSERT_EQ(c["participants"].size(), 3u);
  const json& supervisor = c["participants"][2];
  EXPECT_EQ(supervisor["id"], std::string(core::kDemoSupervisorId));
  EXPECT_EQ(supervisor["wrapup"]["code"], "x\"y");
  EXPECT_EQ(supervisor["attributes"], json::object());
  EXPECT_EQ(supervisor["calls"][0]["state"], "disconnected");
  EXPECT_EQ(supervisor["calls"][0]["disconnectType"], "client");
  EXPECT_EQ(supervisor["calls"][0]["segments"].back()["disconnectType"], "client");
  EXPECT_EQ(supervisor["bargedParticipantId"], std::string(core::kDemoAgentId));
  EXPECT_FALSE(c["participants"][0].contains("userId"));

  const json k = json::parse(call);
  EXPECT_EQ(k["selfUri"], "/api/v2/conversations/calls/" + std::string(core::kDemoConversationId));
  EXPECT_EQ(k["participants"][1]["user"]["name"], "Avery Agent");
  EXPECT_EQ(k["participants"][1]["queue"]["name"], "Support");
  EXPECT_EQ(k["participants"][2]["state"], "disconnected");
  EXPECT_EQ(k["participants"][2]["held"], false);
}

}  // namespace
}  // namespace gcsim::http
