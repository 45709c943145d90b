// The element stats fields read outside their element (by the client, by
// tests): each named once, here, for the element that writes it and the code
// that reads it. tests/element/gstwzp/stats_contract_test.cpp checks that
// every element's "stats" structure carries each of its fields with the
// type given beside it. A reader that finds a field missing should say so
// (the client logs a critical), not take it as 0.
#pragma once

namespace wzp::gst::stats {

// wzpfecenc (all guint64).
namespace fec_enc {
inline constexpr const char *kFrames = "frames";
inline constexpr const char *kSourcePackets = "source-packets";
inline constexpr const char *kRepairPackets = "repair-packets";
}  // namespace fec_enc

// wzpfecdec (all guint64).
namespace fec_dec {
inline constexpr const char *kReceived = "received";
inline constexpr const char *kRecovered = "recovered";
inline constexpr const char *kUnrecoverable = "unrecoverable";
inline constexpr const char *kUnprotected = "unprotected";
inline constexpr const char *kBlocksGivenUp = "blocks-given-up";
inline constexpr const char *kPacketsExpected = "packets-expected";
inline constexpr const char *kPacketsArrived = "packets-arrived";
}  // namespace fec_dec

// wzpjitterbuffer (all guint64; current-delay in nanoseconds).
namespace jitter {
inline constexpr const char *kPlayed = "played";
inline constexpr const char *kConcealed = "concealed";
inline constexpr const char *kLate = "late";
inline constexpr const char *kCurrentDelay = "current-delay";
// Frames dropped to shrink the delay, and those played shorter instead
// (compressed-time: nanoseconds removed).
inline constexpr const char *kShrunk = "shrunk";
inline constexpr const char *kCompressed = "compressed";
inline constexpr const char *kCompressedTime = "compressed-time";
}  // namespace jitter

// wzpquicsink and wzpquicsrc (plugins/gstwzp/wzpquiclink.cpp).
namespace quic {
// gdouble
inline constexpr const char *kRttMs = "rtt-ms";
inline constexpr const char *kRttVarianceMs = "rtt-variance-ms";
inline constexpr const char *kDatagramLoss = "datagram-loss";
// guint64
inline constexpr const char *kDatagramsSent = "datagrams-sent";
inline constexpr const char *kDatagramsAcked = "datagrams-acked";
inline constexpr const char *kDatagramsLost = "datagrams-lost";
inline constexpr const char *kDatagramsDroppedStale = "datagrams-dropped-stale";
inline constexpr const char *kDatagramsDroppedFull = "datagrams-dropped-full";
inline constexpr const char *kCongestionRestarts = "congestion-restarts";
// A server's asks that its client bounce it to a new congestion state
// (libwzp/quic: kRestartRequest): sent by a server, received by a client.
inline constexpr const char *kRestartRequestsSent = "restart-requests-sent";
inline constexpr const char *kRestartRequestsReceived = "restart-requests-received";
}  // namespace quic

// wzpdecrypt (all guint64).
namespace decrypt {
inline constexpr const char *kOpened = "opened";
inline constexpr const char *kUnknownSender = "unknown-sender";
inline constexpr const char *kHeldOpened = "held-opened";
inline constexpr const char *kHeldExpired = "held-expired";
inline constexpr const char *kHeldEvicted = "held-evicted";
}  // namespace decrypt

}  // namespace wzp::gst::stats
