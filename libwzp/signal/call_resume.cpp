#include "libwzp/signal/call_resume.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/hkdf.hpp"

namespace wzp::signal {

std::string call_resume_room(const crypto::CallKeys &keys) {
  // The caller's send secret is the callee's receive secret: in a fixed
  // order both sides hash the same bytes.
  const auto &[low, high] = std::minmax(keys.send, keys.receive);
  std::array<uint8_t, 2 * crypto::kSecretSize> both;
  std::copy(low.begin(), low.end(), both.begin());
  std::copy(high.begin(), high.end(), both.begin() + crypto::kSecretSize);
  std::array<uint8_t, 16> id;
  crypto::hkdf({}, both, crypto::label("wzp call resume room"), id);
  sodium_memzero(both.data(), both.size());
  return base::to_hex(id);
}

void CallResume::lost(Time now) {
  if (lost_at_) return;
  lost_at_ = now;
  wait_from_ = now;
}

CallResume::Action CallResume::on_hangup(std::string_view reason, Time now) {
  if (!resumable_ || reason != "relay_lost") return Action::kEnd;
  lost(now);
  return Action::kMeet;
}

CallResume::Action CallResume::on_connection_lost(Time now) {
  if (!resumable_) return Action::kEnd;
  lost(now);
  return Action::kRedial;
}

CallResume::Action CallResume::on_redialed(bool signed_in, Time now) {
  if (!signed_in) return Action::kEnd;
  wait_from_ = std::max(wait_from_, now);
  return Action::kMeet;
}

void CallResume::on_peer_joined(Time now) {
  if (!lost_at_) return;
  last_resume_ = std::chrono::duration_cast<std::chrono::milliseconds>(now - *lost_at_);
  lost_at_.reset();
  ++resumes_;
}

void CallResume::on_peer_left(Time now) { lost(now); }

CallResume::Action CallResume::tick(Time now) const {
  return lost_at_ && now - wait_from_ >= wait_ ? Action::kEnd : Action::kNone;
}

}  // namespace wzp::signal
