// The real simulator behind a FakeTransport, for reaper tests: every request the client sends is
// answered in-process by gcsim's own HTTP layer (Server::AnswerInProcess, no socket), on the
// test's ManualClock. Legs are named per conversation ("c1", "idle") and get UUIDs, as the API's
// routes require.
//
// Faults the simulator cannot produce yet (a drop accepted but lost, media that keeps flowing
// after a drop, a scripted status on every PATCH or GET) are set with `fault`: it answers, or
// rewrites, before or after the simulator. Retire each once the simulator models that fault.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fake_transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"

namespace gcsim::client::testing {

inline constexpr char kClientId[] = "id";
inline constexpr char kClientSecret[] = "secret";

class SimWorld {
 public:
  // `rate_limit`: requests per minute of the OAuth client the reaper uses (0: unlimited).
  explicit SimWorld(ManualClock& clock, int rate_limit = 0) : clock_(clock) {
    core::WorldSpec world;
    world.rate_limit = rate_limit;
    world.oauth_clients = {{.id = kClientId, .secret = kClientSecret}};
    sim_ = core::Simulator::Create({.clock = &clock_}, world).value();
    server_ = http::Server::Create({.simulator = sim_.get()}).value();
  }

  // A leg named `name` joins conversation `conversation` now (the conversation starts with its
  // first leg). Returns its participant id.
  std::string Join(const std::string& conversation, const std::string& name, core::Purpose purpose,
                   core::SpeechScript speech = core::SpeechScript::Never(),
                   core::LegSpec spec = {}) {
    spec.id = Id(conversation, name);
    spec.purpose = purpose;
    spec.speech = std::move(speech);
    const std::string cid = ConversationId(conversation);
    bool exists = false;
    sim_->Read([&](const core::WorldView& view) { exists = view.FindConversation(cid) != nullptr; });
    if (exists) {
      Check(sim_->AddLeg(cid, spec).status());
    } else {
      Check(sim_->AddConversation({.id = cid, .legs = {spec}}).status());
    }
    return spec.id;
  }

  // The leg is heard from now on, or silent from now on.
  void Hear(const std::string& conversation, const std::string& name) {
    Check(sim_->SetSpeech(Id(conversation, name), core::SpeechScript::Always()));
  }
  void Silence(const std::string& conversation, const std::string& name) {
    Check(sim_->SetSpeech(Id(conversation, name), core::SpeechScript::Never()));
  }
  // Another script on the same OAuth client spends `n` requests of the budget now.
  void SpendBudget(int n) {
    for (int i = 0; i < n; ++i) sim_->ChargeRequest(kClientId);
  }

  core::LegState State(const std::string& conversation, const std::string& name) {
    core::LegState state = core::LegState::kNone;
    sim_->Read([&](const core::WorldView& view) {
      if (const core::Participant* leg = view.FindParticipant(Id(conversation, name))) {
        state = leg->state;
      }
    });
    return state;
  }

  // Ids: stable per (conversation, name), so expectations can be written with names.
  std::string ConversationId(const std::string& conversation) {
    return IdFor("c/" + conversation);
  }
  std::string Id(const std::string& conversation, const std::string& name) {
    return IdFor("p/" + conversation + "/" + name);
  }
  LegId Leg(const std::string& conversation, const std::string& name) {
    return {ConversationId(conversation), Id(conversation, name)};
  }
  // The name of an id this world gave, or the id itself.
  std::string Name(const std::string& id) const {
    for (const auto& [key, value] : ids_) {
      if (value == id) return key.substr(key.rfind('/') + 1);
    }
    return id;
  }

  // Answers before the simulator when it returns a response; `after` may rewrite what the
  // simulator answered. Both see the request as sent.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> fault;
  std::function<void(const HttpRequest&, HttpResponse&)> after;

  // The FakeTransport handler: the request, answered by gcsim in-process.
  Result<HttpResponse> Handle(const std::string& /*base_url*/, const HttpRequest& request) {
    if (fault) {
      if (std::optional<HttpResponse> faulted = fault(request)) return *faulted;
    }
    http::InProcessRequest in{.method = request.method, .target = request.target,
                              .body = request.body};
    for (const auto& [name, value] : request.headers) in.headers.emplace_back(name, value);
    const http::InProcessResponse out = server_->AnswerInProcess(in);
    if (out.connection_lost) {
      return UnavailableError(request.method + " " + request.target + " failed: the connection was lost");
    }
    HttpResponse response;
    response.status = out.status;
    for (const auto& [name, value] : out.headers) response.headers.emplace(name, value);
    response.body = out.body;
    if (after) after(request, response);
    return response;
  }

  core::Simulator& sim() { return *sim_; }

 private:
  static void Check(const Status& status) {
    if (!status.ok()) {
      std::fprintf(stderr, "SimWorld: %s\n", status.ToString().c_str());
      std::abort();
    }
  }
  std::string IdFor(const std::string& key) {
    auto [it, added] = ids_.emplace(key, "");
    if (added) {
      char id[40];
      std::snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012zx", ids_.size());
      it->second = id;
    }
    return it->second;
  }

  ManualClock& clock_;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::map<std::string, std::string> ids_;
};

}  // namespace gcsim::client::testing
