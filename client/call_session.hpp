// The media of an established call: a sender and a receiver pipeline, both
// on the signaling connection's DATAGRAMs (through the call's relay room),
// adaptive quality from the peer's reports, a live status line, and a clean
// end on Ctrl-C, on the peer's hangup, or when the input file ends.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "client/call_signaling.hpp"
#include "client/call_trace_file.hpp"
#include "client/call_video.hpp"
#include "libwzp/quality/tier.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::client {

struct CallMediaOptions {
  std::string input_wav;      // empty: the microphone (or the tone)
  uint32_t tone_seconds = 0;  // with no input_wav: a test tone this long
  std::string output_wav;     // empty: the speakers
  bool echo = false;          // play back what we receive (wzp answer --echo)
  bool measure_echo = false;  // compare output_wav with input_wav (wzp echo-test)
  quality::Tier tier = quality::kCallStartTier;
  uint32_t stream_id = 1;
  uint32_t padding = 0;            // SenderConfig::padding
  CallTraceFile *trace = nullptr;  // records the call when set
  // Media may move to a direct path beside the relay (docs/nat.md); the
  // caller checks and nominates, the callee accepts and agrees.
  bool direct = false;
  bool caller = false;
  VideoOptions video;  // `wzp call --video`
  // Given several nodes of the service: where to sign in again when the
  // connection to the daemon ends; the call then resumes through another
  // node (libwzp/signal/call_resume.hpp). Unset with one server: a lost
  // node ends the call.
  std::function<signal::Session *(const std::string &why)> redial;
};

// Runs the call until it ends and prints the summary on stdout; returns the
// process exit code (0 for a call that ended normally).
int run_call_media(signal::Session &session, EstablishedCall &call,
                   const CallMediaOptions &options);

}  // namespace wzp::client
