#include "prometheus.h"

#include <cstdio>

namespace gcsim::http {
namespace {

// A label value as the text format wants it: backslash, quote and newline escaped.
std::string Label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", seconds);
  return buf;
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string PrometheusText(core::Simulator& simulator) {
  const core::TrafficMetrics& traffic = simulator.journal().traffic();
  const auto clients = traffic.Clients();
  const Duration idle_timeout = traffic.idle_timeout();
  std::string out;
  const auto client_label = [](const std::string& client) {
    return std::string("client=\"") + Label(client) + "\"";
  };

  Header(out, "gcsim_requests_total", "counter",
         "Requests answered, by OAuth client, route template, method and status.");
  for (const auto& [client, counts] : clients) {
    for (const auto& [key, count] : counts.by_route) {
      out.append("gcsim_requests_total{")
          .append(client_label(client))
          .append(",route=\"").append(Label(key.route))
          .append("\",method=\"").append(Label(key.method))
          .append("\",status=\"").append(std::to_string(key.status))
          .append("\"} ").append(std::to_string(count)).append("\n");
    }
  }
  const auto per_client = [&](const char* name, const char* help, auto value) {
    Header(out, name, "counter", help);
    for (const auto& [client, counts] : clients) {
      out.append(name).append("{").append(client_label(client)).append("} ")
          .append(std::to_string(value(counts))).append("\n");
    }
  };
  per_client("gcsim_failed_requests_total",
             "Requests answered 429 or 5xx, or whose answer a fault lost, by OAuth client.",
             [](const core::ClientTraffic& c) { return c.failed_requests; });
  per_client("gcsim_drops_total", "Drop requests accepted, by OAuth client.",
             [](const core::ClientTraffic& c) { return c.drops; });
  per_client("gcsim_early_drops_total",
             "Drop requests that reached a leg heard within the idle timeout, by OAuth client.",
             [](const core::ClientTraffic& c) { return c.early_drops; });
  Header(out, "gcsim_noop_patches_total", "counter",
         "PATCHes answered 2xx that changed nothing (only {\"state\":\"disconnected\"} drops a "
         "leg), by OAuth client and status.");
  for (const auto& [client, counts] : clients) {
    for (const auto& [status, count] : counts.no_op_patch_statuses) {
      out.append("gcsim_noop_patches_total{").append(client_label(client))
          .append(",status=\"").append(std::to_string(status)).append("\"} ")
          .append(std::to_string(count)).append("\n");
    }
  }
  Header(out, "gcsim_drop_lateness_seconds", "histogram",
         "How long past the idle timeout a leg had been silent when a drop of it was accepted, "
         "by OAuth client.");
  for (const auto& [client, counts] : clients) {
    const core::LatenessHistogram& h = counts.lateness;
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= core::LatenessHistogram::kBoundsSeconds.size(); ++i) {
      cumulative += h.buckets[i];
      const std::string le = i < core::LatenessHistogram::kBoundsSeconds.size()
                                 ? Seconds(core::LatenessHistogram::kBoundsSeconds[i])
                                 : "+Inf";
      out.append("gcsim_drop_lateness_seconds_bucket{").append(client_label(client))
          .append(",le=\"").append(le).append("\"} ").append(std::to_string(cumulative))
          .append("\n");
    }
    out.append("gcsim_drop_lateness_seconds_sum{").append(client_label(client)).append("} ")
        .append(Seconds(static_cast<double>(h.sum.count()) / 1000.0)).append("\n");
    out.append("gcsim_drop_lateness_seconds_count{").append(client_label(client)).append("} ")
        .append(std::to_string(h.count)).append("\n");
  }

  size_t live = 0;
  simulator.Read([&live](const core::WorldView& world) {
    for (const core::Conversation* conv : world.ConversationsByStart()) {
      for (const core::Participant* leg : conv->participants) live += core::IsLive(leg->state);
    }
  });
  Header(out, "gcsim_live_legs", "gauge", "Legs alerting or connected.");
  out.append("gcsim_live_legs ").append(std::to_string(live)).append("\n");
  Header(out, "gcsim_idle_legs", "gauge",
         "Legs whose media flows and that have been silent at least the idle timeout.");
  out.append("gcsim_idle_legs ")
      .append(std::to_string(simulator.SilentLegs(idle_timeout)->size()))
      .append("\n");
  Header(out, "gcsim_idle_timeout_seconds", "gauge",
         "The idle timeout idle legs, early drops and lateness are judged against.");
  out.append("gcsim_idle_timeout_seconds ")
      .append(Seconds(static_cast<double>(idle_timeout.count()) / 1000.0))
      .append("\n");
  return out;
}

}  // namespace gcsim::http
