// Every path gcsim serves, written once: the server registers these patterns (simulator/http)
// and the client and harness fill them in (FillPath). A {name} segment is a path parameter.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace gcsim::routes {

// --- the Genesys API ---
inline constexpr std::string_view kOAuthToken = "/oauth/token";
inline constexpr std::string_view kConversation = "/api/v2/conversations/{conversationId}";
inline constexpr std::string_view kConversationParticipant =
    "/api/v2/conversations/{conversationId}/participants/{participantId}";
inline constexpr std::string_view kConversationDisconnect =
    "/api/v2/conversations/{conversationId}/disconnect";
inline constexpr std::string_view kCalls = "/api/v2/conversations/calls";
inline constexpr std::string_view kCall = "/api/v2/conversations/calls/{conversationId}";
inline constexpr std::string_view kCallParticipants =
    "/api/v2/conversations/calls/{conversationId}/participants";
inline constexpr std::string_view kCallParticipant =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}";
inline constexpr std::string_view kConversations = "/api/v2/conversations";
inline constexpr std::string_view kUserMe = "/api/v2/users/me";
inline constexpr std::string_view kUser = "/api/v2/users/{userId}";
inline constexpr std::string_view kUserRoutingStatus = "/api/v2/users/{userId}/routingstatus";
inline constexpr std::string_view kRoutingQueues = "/api/v2/routing/queues";
inline constexpr std::string_view kCallParticipantReplace =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}/replace";
inline constexpr std::string_view kCallParticipantConsult =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}/consult";
inline constexpr std::string_view kCallConference =
    "/api/v2/conversations/calls/{conversationId}/conference";
inline constexpr std::string_view kCallParticipantCommunication =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}/communications/"
    "{communicationId}";
inline constexpr std::string_view kCallParticipantCommunicationWrapup =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}/communications/"
    "{communicationId}/wrapup";
inline constexpr std::string_view kCallParticipantWrapup =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}/wrapup";
inline constexpr std::string_view kCallParticipantWrapupCodes =
    "/api/v2/conversations/calls/{conversationId}/participants/{participantId}/wrapupcodes";
inline constexpr std::string_view kWrapupCodes = "/api/v2/routing/wrapupcodes";
inline constexpr std::string_view kQueueWrapupCodes =
    "/api/v2/routing/queues/{queueId}/wrapupcodes";
inline constexpr std::string_view kNotificationChannels = "/api/v2/notifications/channels";
inline constexpr std::string_view kNotificationChannel =
    "/api/v2/notifications/channels/{channelId}";
inline constexpr std::string_view kNotificationSubscriptions =
    "/api/v2/notifications/channels/{channelId}/subscriptions";
inline constexpr std::string_view kNotificationTopics = "/api/v2/notifications/availabletopics";
inline constexpr std::string_view kConversationDetailsQuery =
    "/api/v2/analytics/conversations/details/query";
inline constexpr std::string_view kConversationDetails =
    "/api/v2/analytics/conversations/{conversationId}/details";
inline constexpr std::string_view kQueueObservationsQuery =
    "/api/v2/analytics/queues/observations/query";

// --- the control plane ---
inline constexpr std::string_view kSimHealth = "/sim/v1/health";
inline constexpr std::string_view kSimReset = "/sim/v1/reset";
inline constexpr std::string_view kSimClock = "/sim/v1/clock";
inline constexpr std::string_view kSimClockAdvance = "/sim/v1/clock/advance";
inline constexpr std::string_view kSimState = "/sim/v1/state";
inline constexpr std::string_view kSimLegMedia =
    "/sim/v1/conversations/{conversationId}/participants/{participantId}/media";
inline constexpr std::string_view kSimMedia = "/sim/v1/media";
inline constexpr std::string_view kSimJournal = "/sim/v1/journal";
inline constexpr std::string_view kSimMetrics = "/sim/v1/metrics";
inline constexpr std::string_view kSimFaults = "/sim/v1/faults";
// The live view: the page (its files beside it) and the snapshot it polls.
inline constexpr std::string_view kSimUi = "/sim/v1/ui/";
inline constexpr std::string_view kSimUiView = "/sim/v1/ui/view";

// Every route above, as the journal and fault episodes name them.
inline constexpr std::string_view kAll[] = {
    kOAuthToken,
    kConversation,
    kConversationParticipant,
    kConversationDisconnect,
    kCalls,
    kCall,
    kCallParticipants,
    kCallParticipant,
    kConversations,
    kUserMe,
    kUser,
    kUserRoutingStatus,
    kRoutingQueues,
    kCallParticipantReplace,
    kCallParticipantConsult,
    kCallConference,
    kCallParticipantCommunication,
    kCallParticipantCommunicationWrapup,
    kCallParticipantWrapup,
    kCallParticipantWrapupCodes,
    kWrapupCodes,
    kQueueWrapupCodes,
    kNotificationChannels,
    kNotificationChannel,
    kNotificationSubscriptions,
    kNotificationTopics,
    kConversationDetailsQuery,
    kConversationDetails,
    kQueueObservationsQuery,
    kSimHealth,
    kSimReset,
    kSimClock,
    kSimClockAdvance,
    kSimState,
    kSimLegMedia,
    kSimMedia,
    kSimJournal,
    kSimMetrics,
    kSimFaults,
    kSimUi,
    kSimUiView,
};

// Whether gcsim serves `pattern`: one of kAll, or a file of the live view (under kSimUi).
bool IsServed(std::string_view pattern);

// `pattern` with its {name} segments replaced by `values`, in order; values go in as given
// (encode them first when they may hold '/' or '?'). Missing values leave "{name}" in place.
std::string FillPath(std::string_view pattern, std::initializer_list<std::string_view> values);

}  // namespace gcsim::routes
