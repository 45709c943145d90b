// Both ends of a call on this machine, with no signaling between them: how
// `wzp loopback` and the tests that drive the call pipelines directly get a
// real pair of call keys and point the sender at the receiver's QUIC server
// (the element named "net" in each pipeline, see client/call_media.hpp).
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "client/adaptive.hpp"
#include "libwzp/crypto/handshake.hpp"

namespace wzp::client {

// The whole call handshake between two fresh identities, offering Opus and
// Codec2 1200; false with `error` saying which step failed.
bool agree_keys_locally(crypto::CallKeys &caller_keys, crypto::CallKeys &callee_keys,
                        std::string &error);

// The UDP port the receiver's QUIC server listens on.
uint16_t receiver_port(GstElement *receiver);

// The receiver's QUIC server certificate fingerprint, for the sender to pin.
std::string receiver_fingerprint(GstElement *receiver);

// Polls the sender's QUIC link until it is connected or `timeout` passes.
bool wait_connected(GstElement *sender, std::chrono::milliseconds timeout);

// The run of a call whose two pipelines are both here, as their buses tell
// it: an error quits `loop` with `error` set; when the sender's input ends,
// the receiver's output is ended `drain_ms` later (time for the last frames
// to cross the network and leave the jitter buffer), and its end quits
// `loop`. The adaptive loop sees every message first.
struct LocalCallRun {
  GstElement *sender = nullptr;
  GstElement *receiver = nullptr;
  GMainLoop *loop = nullptr;
  AdaptiveQuality *adaptive = nullptr;
  guint drain_ms = 3000;
  std::string error;

  void watch_buses();
  // Stops both pipelines and drops them and their bus watches.
  void release_pipelines();
};

}  // namespace wzp::client
