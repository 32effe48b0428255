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

// Strings are scanned eight bytes at a time: a byte to escape must be found at every offset of
// a word, and the bytes around it (UTF-8 included) kept as they are.
TEST(RenderTest, EveryByteToEscapeIsFoundAtEveryOffset) {
  ManualClock clock;
  for (const char special :
       {'"', '\\', '\n', '\x01', '\x1f', ' ', '\x7f', '\xc3', '!', '#', '[', ']'}) {
    for (size_t at = 0; at < 18; ++at) {
      core::WorldSpec world = core::DemoWorld();
      std::string name(18, 'a');
      name[at] = special;
      if (special == '\xc3') name.insert(at + 1, 1, '\xa9');  // a whole UTF-8 character
      world.conversations[0].name = name;
      auto sim = core::Simulator::Create({.clock = &clock}, world).value();
      std::string text;
      sim->Read([&](const core::WorldView& view) {
        text = ConversationText(*view.FindConversation(std::string(core::kDemoConversationId)));
      });
      const json parsed = json::parse(text, nullptr, false);
      ASSERT_FALSE(parsed.is_discarded())
          << "byte " << int(special) << " at " << at << ": " << text;
      EXPECT_EQ(parsed["name"], name) << "byte " << int(special) << " at " << at;
    }
  }
}

}  // namespace
}  // namespace gcsim::http
