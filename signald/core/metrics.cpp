#include "signald/core/metrics.hpp"

#include <sstream>

namespace wzp::signald {

const char *to_string(DropReason reason) {
  switch (reason) {
    case DropReason::kNotInRoom:
      return "not_in_room";
    case DropReason::kOversized:
      return "oversized";
    case DropReason::kBadHeader:
      return "bad_header";
    case DropReason::kNotFullHeader:
      return "not_full_header";
    case DropReason::kOverBudget:
      return "over_budget";
    case DropReason::kOffRoute:
      return "off_route";
    case DropReason::kNoRecipient:
      return "no_recipient";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

const char *to_string(CallRefusal reason) {
  switch (reason) {
    case CallRefusal::kBadCaller:
      return "bad_caller";
    case CallRefusal::kCallerHere:
      return "caller_here";
    case CallRefusal::kOffRoute:
      return "off_route";
    case CallRefusal::kBadCallId:
      return "bad_call_id";
    case CallRefusal::kCallIdInUse:
      return "call_id_in_use";
    case CallRefusal::kSelfCall:
      return "self_call";
    case CallRefusal::kLinkFull:
      return "link_full";
    case CallRefusal::kNotThroughLink:
      return "not_through_link";
    case CallRefusal::kCount:
      break;
  }
  return "unknown";
}

const char *to_string(Transport transport) {
  switch (transport) {
    case Transport::kQuic:
      return "quic";
    case Transport::kTls:
      return "tls";
    case Transport::kCount:
      break;
  }
  return "unknown";
}

std::string render_prometheus(const Counters &c, const Gauges &g, const FederationCounters *f,
                              const ClusterCounters *k) {
  std::ostringstream out;
  auto metric = [&out](const char *name, const char *type, const char *help, uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
  };
  metric("wzp_signald_connections", "gauge", "Open client connections.", g.connections);
  metric("wzp_signald_authenticated_connections", "gauge",
         "Connections that proved their identity.", g.authenticated);
  metric("wzp_signald_connections_total", "counter", "Connections accepted since start.",
         c.connections_total);
  metric("wzp_signald_auth_failures_total", "counter",
         "Clients refused: bad signature, bad or refused token, protocol violation.",
         c.auth_failures);
  out << "# HELP wzp_signald_calls Direct calls by state.\n# TYPE wzp_signald_calls gauge\n"
      << "wzp_signald_calls{state=\"offered\"} " << g.calls_offered << '\n'
      << "wzp_signald_calls{state=\"ringing\"} " << g.calls_ringing << '\n'
      << "wzp_signald_calls{state=\"active\"} " << g.calls_active << '\n';
  out << "# HELP wzp_signald_calls_ended_total Answered calls ended, by the media path the "
         "callee last agreed to.\n# TYPE wzp_signald_calls_ended_total counter\n"
      << "wzp_signald_calls_ended_total{path=\"direct\"} " << g.calls_ended_direct << '\n'
      << "wzp_signald_calls_ended_total{path=\"relay\"} " << g.calls_ended_relay << '\n';
  metric("wzp_signald_rooms", "gauge", "Rooms with at least one participant or a call.", g.rooms);
  metric("wzp_signald_participants", "gauge", "Participants across all rooms.", g.participants);
  auto by_transport = [&out](const char *name, const char *help, const auto &values) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n";
    for (size_t i = 0; i < values.size(); ++i) {
      out << name << "{transport=\"" << to_string(static_cast<Transport>(i)) << "\"} " << values[i]
          << '\n';
    }
  };
  by_transport("wzp_signald_members",
               "Signed-in clients by transport: QUIC, or the TLS fallback for blocked UDP.",
               g.members_by_transport);
  by_transport("wzp_signald_participants_by_transport",
               "Signed-in clients in a room or call, by transport.", g.participants_by_transport);
  metric("wzp_signald_messages_received_total", "counter", "Signal messages received.",
         c.messages_received);
  metric("wzp_signald_messages_refused_total", "counter",
         "Signal messages refused as malformed, unknown or invalid.", c.messages_refused);
  metric("wzp_signald_messages_rate_limited_total", "counter",
         "Signal messages dropped by the per-connection rate limit.", c.messages_rate_limited);
  metric("wzp_signald_datagrams_received_total", "counter", "Media datagrams received.",
         c.datagrams_received);
  metric("wzp_signald_datagrams_forwarded_total", "counter",
         "Media datagrams forwarded (one per receiving participant).", c.datagrams_forwarded);
  metric("wzp_signald_keyframe_requests_forwarded_total", "counter",
         "Keyframe requests forwarded, copies included (one per receiving participant).",
         c.keyframe_requests_forwarded);
  metric("wzp_signald_key_datagrams_forwarded_total", "counter",
         "Room key datagrams forwarded to their recipient, copies included.",
         c.key_datagrams_forwarded);
  metric("wzp_signald_bytes_forwarded_total", "counter", "Media bytes forwarded.",
         c.bytes_forwarded);
  metric("wzp_signald_datagrams_unsent_total", "counter",
         "Media datagrams dropped before sending: they waited past their deadline for a "
         "connection's congestion window, or its queue was full.",
         g.datagrams_unsent);
  metric("wzp_signald_congestion_restarts_total", "counter",
         "Fresh congestion states on the relay's connections, each after a member whose "
         "media the window starved bounced it on the relay's ask.",
         g.congestion_restarts);
  metric("wzp_signald_implausible_reports_total", "counter",
         "Room members' reports of more loss than the relay saw on their way, clamped.",
         c.implausible_reports);
  out << "# HELP wzp_signald_datagrams_dropped_total Media datagrams dropped, by reason.\n"
      << "# TYPE wzp_signald_datagrams_dropped_total counter\n";
  for (size_t i = 0; i < c.drops.size(); ++i) {
    out << "wzp_signald_datagrams_dropped_total{reason=\"" << to_string(static_cast<DropReason>(i))
        << "\"} " << c.drops[i] << '\n';
  }
  if (f != nullptr) {
    metric("wzp_signald_federation_links", "gauge", "Authenticated links to other relays.",
           g.relay_links);
    metric("wzp_signald_federation_remote_users", "gauge", "Users online on linked relays.",
           g.remote_users);
    metric("wzp_signald_federation_remote_participants", "gauge",
           "Linked relays' members of rooms here.", g.remote_participants);
    metric("wzp_signald_federation_links_authenticated_total", "counter",
           "Relay links that authenticated.", f->links_authenticated);
    metric("wzp_signald_federation_links_refused_total", "counter",
           "Relay links refused (untrusted identity, bad signature, bad handshake).",
           f->links_refused);
    metric("wzp_signald_federation_messages_refused_total", "counter",
           "Messages from linked relays refused and skipped.", f->messages_refused);
    out << "# HELP wzp_signald_federation_calls_refused_total Call messages from linked relays "
           "refused, by reason.\n"
        << "# TYPE wzp_signald_federation_calls_refused_total counter\n";
    for (size_t i = 0; i < f->call_refusals.size(); ++i) {
      out << "wzp_signald_federation_calls_refused_total{reason=\""
          << to_string(static_cast<CallRefusal>(i)) << "\"} " << f->call_refusals[i] << '\n';
    }
    metric("wzp_signald_federation_datagrams_refused_total", "counter",
           "Datagrams from linked relays too short to carry a room.", f->datagrams_refused);
    metric("wzp_signald_federation_messages_received_total", "counter",
           "Messages from authenticated linked relays.", f->messages_received);
    metric("wzp_signald_federation_messages_forwarded_total", "counter",
           "Linked relays' messages passed on to other links (multi-hop).", f->messages_forwarded);
    metric("wzp_signald_federation_messages_duplicate_total", "counter",
           "Linked relays' messages seen before (the loop guard), dropped.", f->messages_duplicate);
    metric("wzp_signald_federation_messages_out_of_hops_total", "counter",
           "Messages not passed on because their hop limit was spent.", f->messages_out_of_hops);
    metric("wzp_signald_federation_messages_rate_limited_total", "counter",
           "Linked relays' messages beyond the link's budget, dropped unread.",
           f->messages_rate_limited);
  }
  if (k != nullptr) {
    metric("wzp_signald_cluster_nodes", "gauge", "Other nodes of the cluster alive in Redis.",
           k->nodes);
    metric("wzp_signald_cluster_redis_up", "gauge", "1 while connected to the cluster's Redis.",
           k->redis_up);
    metric("wzp_signald_cluster_redis_failures_total", "counter",
           "Redis connections lost or refused, and commands left unanswered.", k->redis_failures);
    metric("wzp_signald_cluster_redis_bad_replies_total", "counter",
           "Redis replies that were errors or not what was asked for.", k->redis_bad_replies);
    metric("wzp_signald_cluster_nodes_expired_total", "counter",
           "Nodes dropped because their key expired or they left.", k->nodes_expired);
  }
  return out.str();
}

}  // namespace wzp::signald
