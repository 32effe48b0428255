#include "ui/ui_routes.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gcsim/common/routes.h"
#include "gcsim/core/api_errors.h"
#include "gcsim/core/journal.h"
#include "ui/ui_files.h"

namespace gcsim::http {
namespace {

using nlohmann::json;

// A page of bridges: enough to fill a screen, small enough that a poll stays cheap with
// thousands of live conversations.
constexpr int kDefaultPageSize = 25;
constexpr int kMaxPageSize = 200;
constexpr size_t kJournalTail = 30;
constexpr size_t kPhantomsListed = 50;

// What a leg was last told that it did not act on.
struct PhantomMark {
  std::string conversation_id;
  TimePoint at;
  int status = 0;
  std::vector<std::string> ignored_fields;
  std::string effect;
  std::string hint;
  uint64_t sequence = 0;  // of the journal entry, for a stable order
};

// Follows the journal to learn which legs got a 2xx participant PATCH that changed nothing
// (the seed's trap). A later PATCH that changed something clears the mark; a reset clears all.
// Thread-safe. Each call reads only the entries appended since the last one.
class PhantomTracker {
 public:
  std::unordered_map<std::string, PhantomMark> CatchUp(const core::Journal& journal) {
    std::lock_guard lock(mu_);
    for (const core::JournalEntry& entry : journal.Since(seen_)) {
      seen_ = entry.sequence;
      if (entry.kind != "request") continue;
      const bool success = entry.status >= 200 && entry.status < 300;
      if (entry.method == "POST" && entry.path == routes::kSimReset && success) {
        marks_.clear();  // the same ids may come back in the new world
      } else if (entry.method == "PATCH" && !entry.participant_id.empty() && success) {
        if (entry.changed_nothing) {
          marks_[entry.participant_id] =
              PhantomMark{.conversation_id = entry.conversation_id,
                          .at = entry.at,
                          .status = entry.status,
                          .ignored_fields = entry.ignored_fields,
                          .effect = entry.effect,
                          .hint = entry.hint,
                          .sequence = entry.sequence};
        } else {
          marks_.erase(entry.participant_id);
        }
      }
    }
    return marks_;
  }

 private:
  std::mutex mu_;
  uint64_t seen_ = 0;  // the last journal sequence read
  std::unordered_map<std::string, PhantomMark> marks_;
};

json PhantomJson(const PhantomMark& mark) {
  return {{"at", FormatIso8601(mark.at)},
          {"status", mark.status},
          {"ignoredFields", mark.ignored_fields},
          {"effect", mark.effect},
          {"hint", mark.hint.empty() ? json() : json(mark.hint)}};
}

// The name a supervisor knows a leg by: its own, its user's, or its address.
std::string LegName(const core::WorldView& world, const core::Participant& leg) {
  if (!leg.name.empty()) return leg.name.str();
  if (!leg.user_id.empty()) {
    if (const core::User* user = world.FindUser(leg.user_id)) return user->name;
  }
  return leg.address.str();
}

// A leg is phantom while it is live and its last successful PATCH changed nothing.
const PhantomMark* PhantomOf(const std::unordered_map<std::string, PhantomMark>& marks,
                             const core::Participant& leg) {
  if (!core::IsLive(leg.state)) return nullptr;
  const auto it = marks.find(leg.id);
  if (it == marks.end() || it->second.conversation_id != leg.conversation_id()) return nullptr;
  return &it->second;
}

json LegJson(const core::WorldView& world, const core::Participant& leg,
             const PhantomMark* phantom) {
  const core::MediaState media = world.Media(leg);
  // Handle time runs from the moment the leg was answered (or offered, while alerting).
  const TimePoint handled_from = leg.connected_time.value_or(leg.start_time);
  const Duration handle_time = world.now() - handled_from;
  json out = {{"id", leg.id},
              {"name", LegName(world, leg)},
              {"purpose", core::ToString(leg.purpose)},
              {"state", core::ToString(leg.state)},
              {"muted", leg.muted},
              {"held", leg.held},
              {"confined", leg.confined},
              {"flowing", media.flowing},
              {"speaking", media.speaking},
              {"silentFor", FormatDuration(media.silent_for)},
              {"silentForMs", media.silent_for.count()},
              {"lastHeardAt", media.last_heard_at ? json(FormatIso8601(*media.last_heard_at))
                                                  : json()},
              {"handleTimeMs", handle_time.count()},
              {"dropPending", leg.pending_drop != 0},
              {"phantom", phantom != nullptr ? PhantomJson(*phantom) : json()}};
  return out;
}

json ConversationJson(const core::WorldView& world, const core::Conversation& conv,
                      const std::unordered_map<std::string, PhantomMark>& marks) {
  json legs = json::array();
  int ended = 0;
  int connected = 0;
  for (const core::Participant* leg : conv.participants) {
    if (!core::IsLive(leg->state)) {
      ++ended;
      continue;
    }
    if (leg->state == core::LegState::kConnected) ++connected;
    legs.push_back(LegJson(world, *leg, PhantomOf(marks, *leg)));
  }
  return {{"id", conv.id},
          {"name", conv.name},
          {"startTime", FormatIso8601(conv.start_time)},
          {"durationMs", (world.now() - conv.start_time).count()},
          {"bridge", connected >= 3},  // a conference bridge: three or more connected legs
          {"legs", std::move(legs)},
          {"endedLegs", ended}};
}

bool HasPhantom(const core::Conversation& conv,
                const std::unordered_map<std::string, PhantomMark>& marks) {
  return std::any_of(conv.participants.begin(), conv.participants.end(),
                     [&](const core::Participant* leg) { return PhantomOf(marks, *leg); });
}

struct UiContext {
  core::Simulator* sim = nullptr;
  bool manual_clock = false;
  PhantomTracker phantoms;
};

// GET /sim/v1/ui/view?pageSize=&pageNumber=&filter=phantom
Reply View(UiContext& ui, const Exchange& ex) {
  auto paging = ParsePaging(ex, kDefaultPageSize, kMaxPageSize);
  if (!paging.ok()) return ErrorReply(ex, paging.status());
  const std::string filter = ex.Query("filter").value_or("");
  if (!filter.empty() && filter != "phantom") {
    return BadRequest(
        ex, std::string("filter [").append(filter).append("] is not supported (only filter=phantom)."));
  }
  const auto marks = ui.phantoms.CatchUp(ui.sim->journal());

  json out;
  ui.sim->Read([&](const core::WorldView& world) {
    json queues = json::array();
    for (const core::Queue& queue : world.queues()) {
      const core::QueueObservation observed = core::ObserveQueue(world, queue.id);
      queues.push_back({{"id", queue.id},
                        {"name", queue.name},
                        {"oInteracting", observed.interacting.size()},
                        {"oWaiting", observed.waiting.size()}});
    }

    json conversations = json::array();
    size_t matching = 0;
    size_t live_conversations = 0;
    size_t live_legs = 0;
    for (const core::Conversation* conv : world.ConversationsByStart()) {
      if (conv->end_time) continue;
      ++live_conversations;
      for (const core::Participant* leg : conv->participants) live_legs += core::IsLive(leg->state);
      if (filter == "phantom" && !HasPhantom(*conv, marks)) continue;
      if (matching >= paging->first() &&
          conversations.size() < static_cast<size_t>(paging->page_size)) {
        conversations.push_back(ConversationJson(world, *conv, marks));
      }
      ++matching;
    }

    // Every phantom leg, oldest mark first: the supervisor's list of what to look at.
    std::vector<std::pair<const core::Participant*, const PhantomMark*>> phantoms;
    for (const auto& [id, mark] : marks) {
      const core::Participant* leg = world.FindParticipant(id);
      if (leg != nullptr && PhantomOf(marks, *leg) != nullptr) phantoms.emplace_back(leg, &mark);
    }
    std::sort(phantoms.begin(), phantoms.end(),
              [](const auto& a, const auto& b) { return a.second->sequence < b.second->sequence; });
    json phantom_list = json::array();
    for (size_t i = 0; i < phantoms.size() && i < kPhantomsListed; ++i) {
      const auto& [leg, mark] = phantoms[i];
      json item = PhantomJson(*mark);
      item["conversationId"] = leg->conversation_id();
      item["participantId"] = leg->id;
      item["name"] = LegName(world, *leg);
      item["purpose"] = core::ToString(leg->purpose);
      phantom_list.push_back(std::move(item));
    }

    out = {{"now", FormatIso8601(world.now())},
           {"clock", ui.manual_clock ? "manual" : "real"},
           {"profile", core::ToString(world.profile())},
           {"disconnectLatency", FormatDuration(world.disconnect_latency())},
           {"queues", std::move(queues)},
           {"liveConversations", live_conversations},
           {"liveLegs", live_legs},
           {"phantomLegs", phantoms.size()},
           {"phantoms", std::move(phantom_list)},
           {"filter", filter.empty() ? json() : json(filter)},
           {"conversations", std::move(conversations)},
           {"pageSize", paging->page_size},
           {"pageNumber", paging->page_number},
           {"total", matching},
           {"pageCount", paging->PageCount(matching)}};
  });

  json journal = json::array();
  for (const core::JournalEntry& entry : ui.sim->journal().Tail(kJournalTail)) {
    journal.push_back(core::ToJson(entry));
  }
  out["journal"] = std::move(journal);
  Reply reply = JsonReply(std::move(out));
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

Reply File(const EmbeddedFile& file) {
  Reply reply;
  reply.text = std::string(file.body);
  reply.content_type = std::string(file.content_type);
  reply.headers.emplace_back("Cache-Control", "no-cache");
  // Only the page's own files run: nothing from elsewhere, even if a name in the world
  // were to smuggle markup in.
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return reply;
}

}  // namespace

void AddUiRoutes(Router& router, core::Simulator& sim, bool manual_clock) {
  auto ui = std::make_shared<UiContext>();
  ui->sim = &sim;
  ui->manual_clock = manual_clock;
  const auto add = [&router](std::string pattern, Handler handler) {
    router.Add({.method = "GET",
                .pattern = std::move(pattern),
                .journal = false,
                .handler = std::move(handler)});
  };
  const std::string root(routes::kSimUi);
  add(root.substr(0, root.size() - 1), [root](Exchange&) {  // "/sim/v1/ui": to the page
    Reply reply = EmptyReply(302);
    reply.headers.emplace_back("Location", root);
    return reply;
  });
  for (const EmbeddedFile& file : UiFiles()) {
    std::string path = root;
    if (file.name != "index.html") path.append(file.name);
    add(path, [&file](Exchange&) { return File(file); });
  }
  add(std::string(routes::kSimUiView), [ui](Exchange& ex) { return View(*ui, ex); });
}

}  // namespace gcsim::http
