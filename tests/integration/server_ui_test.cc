// /sim/v1/ui/ over real HTTP: the page's files served from the binary, and the JSON snapshot the
// page polls (queues, bridges and legs, phantom legs, the journal's tail, paging). What a browser
// makes of it is tests/browser/ui_test.mjs.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class UiTest : public ServerFixture {
 protected:
  json View(const std::string& query = "") {
    const Response response = Get("/sim/v1/ui/view" + query);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  static json FindLeg(const json& view, const std::string& pid) {
    for (const json& conversation : view["conversations"]) {
      for (const json& leg : conversation["legs"]) {
        if (leg["id"] == pid) return leg;
      }
    }
    return json();
  }
};

TEST_F(UiTest, ServesThePageAndItsFilesFromTheBinary) {
  const Response page = Get("/sim/v1/ui/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"app.js\""), std::string::npos);
  EXPECT_NE(page.Header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);

  const Response script = Get("/sim/v1/ui/app.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("/sim/v1/ui/view"), std::string::npos);
  EXPECT_EQ(Get("/sim/v1/ui/app.css").Header("Content-Type"), "text/css; charset=utf-8");

  const Response bare = Get("/sim/v1/ui");
  EXPECT_EQ(bare.status, 302);
  EXPECT_EQ(bare.Header("Location"), "/sim/v1/ui/");
  const Response missing = Get("/sim/v1/ui/nothing.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json()["code"], "not.found");
}

TEST_F(UiTest, ShowsTheSeedBridgeWithItsQueueAndMedia) {
  Advance("10m");
  const json view = View();
  EXPECT_EQ(view["now"], "2026-01-01T09:10:00.000Z");
  EXPECT_EQ(view["clock"], "manual");
  EXPECT_EQ(view["profile"], "observed");
  ASSERT_EQ(view["queues"].size(), 1u);
  EXPECT_EQ(view["queues"][0]["name"], "Support");
  EXPECT_EQ(view["queues"][0]["oInteracting"], 2);  // the agent and the supervisor
  EXPECT_EQ(view["queues"][0]["oWaiting"], 0);
  EXPECT_EQ(view["liveConversations"], 1);
  EXPECT_EQ(view["liveLegs"], 3);
  EXPECT_EQ(view["phantomLegs"], 0);
  ASSERT_EQ(view["conversations"].size(), 1u);
  const json& bridge = view["conversations"][0];
  EXPECT_EQ(bridge["id"], kConversationId);
  EXPECT_EQ(bridge["bridge"], true);
  EXPECT_EQ(bridge["legs"].size(), 3u);

  const json supervisor = FindLeg(view, kSupervisorId);
  EXPECT_EQ(supervisor["name"], "Sam Supervisor");
  EXPECT_EQ(supervisor["purpose"], "user");
  EXPECT_EQ(supervisor["state"], "connected");
  EXPECT_EQ(supervisor["flowing"], true);
  EXPECT_EQ(supervisor["speaking"], false);
  EXPECT_EQ(supervisor["silentFor"], "10m");
  EXPECT_EQ(supervisor["handleTimeMs"], 600'000);
  EXPECT_TRUE(supervisor["phantom"].is_null());
}

TEST_F(UiTest, MarksAPhantomLegUntilARealDropLands) {
  const std::string token = Token();
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId), kSeedBody,
                     token)
                .status,
            204);
  json view = View();
  EXPECT_EQ(view["phantomLegs"], 1);
  const json phantom = FindLeg(view, kSupervisorId)["phantom"];
  ASSERT_TRUE(phantom.is_object()) << view.dump();
  EXPECT_EQ(phantom["status"], 204);
  EXPECT_EQ(phantom["ignoredFields"], json({"dispositionCode", "dropReason", "id"}));
  EXPECT_NE(phantom["hint"].get<std::string>().find(R"({"state":"disconnected"})"),
            std::string::npos);
  ASSERT_EQ(view["phantoms"].size(), 1u);
  EXPECT_EQ(view["phantoms"][0]["participantId"], kSupervisorId);
  EXPECT_EQ(view["phantoms"][0]["name"], "Sam Supervisor");
  EXPECT_TRUE(FindLeg(view, kAgentId)["phantom"].is_null());
  EXPECT_EQ(View("?filter=phantom")["total"], 1);
  EXPECT_EQ(view["journal"].back()["changedNothing"], true);
  EXPECT_EQ(view["journal"].back()["status"], 204);

  // Accepted: no longer a phantom, the drop pending for disconnectLatency; then gone.
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token)
                .status,
            202);
  view = View();
  EXPECT_EQ(view["phantomLegs"], 0);
  EXPECT_TRUE(FindLeg(view, kSupervisorId)["phantom"].is_null());
  EXPECT_EQ(FindLeg(view, kSupervisorId)["dropPending"], true);
  EXPECT_EQ(View("?filter=phantom")["total"], 0);
  Advance("1s");
  view = View();
  EXPECT_TRUE(FindLeg(view, kSupervisorId).is_null()) << "a dropped leg leaves the bridge";
  EXPECT_EQ(view["conversations"][0]["legs"].size(), 2u);
  EXPECT_EQ(view["conversations"][0]["endedLegs"], 1);
  EXPECT_EQ(view["queues"][0]["oInteracting"], 1);
}

TEST_F(UiTest, AResetClearsPhantomMarks) {
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId), kSeedBody,
                     Token())
                .status,
            204);
  ASSERT_EQ(View()["phantomLegs"], 1);
  ASSERT_EQ(Send("POST", "/sim/v1/reset").status, 200);
  const json view = View();
  EXPECT_EQ(view["phantomLegs"], 0) << "the same ids in a new world are not phantoms";
  EXPECT_TRUE(FindLeg(view, kSupervisorId)["phantom"].is_null());
}

TEST_F(UiTest, PollingNeitherGrowsTheJournalNorCostsABudget) {
  const size_t before = Journal().size();
  for (int i = 0; i < 5; ++i) View();
  Get("/sim/v1/ui/");
  Get("/sim/v1/ui/app.js");
  EXPECT_EQ(Journal().size(), before);
}

TEST_F(UiTest, PagesLargeWorlds) {
  core::WorldSpec world = core::DemoWorld();
  world.generated.push_back(
      {.bridges = 1000,
       .purposes = {core::Purpose::kCustomer, core::Purpose::kAgent, core::Purpose::kUser}});
  StartServer(world);
  json view = View("?pageSize=50&pageNumber=3");
  EXPECT_EQ(view["liveConversations"], 1001);
  EXPECT_EQ(view["total"], 1001);
  EXPECT_EQ(view["pageCount"], 21);
  EXPECT_EQ(view["pageNumber"], 3);
  EXPECT_EQ(view["conversations"].size(), 50u);
  view = View("?pageSize=50&pageNumber=21");
  EXPECT_EQ(view["conversations"].size(), 1u);
  EXPECT_EQ(View("?pageSize=50&pageNumber=22")["conversations"].size(), 0u);

  EXPECT_EQ(Get("/sim/v1/ui/view?pageSize=0").status, 400);
  EXPECT_EQ(Get("/sim/v1/ui/view?pageSize=201").status, 400);
  const Response bad_filter = Get("/sim/v1/ui/view?filter=everything");
  EXPECT_EQ(bad_filter.status, 400);
  EXPECT_NE(bad_filter.Json()["message"].get<std::string>().find("filter"), std::string::npos);
}

}  // namespace
}  // namespace gcsim::http::testing
