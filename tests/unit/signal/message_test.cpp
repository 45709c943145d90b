#include "libwzp/signal/message.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace wzp::signal {
namespace {

const std::string kFp = "aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa";
const std::string kFp2 = "0123:4567:89ab:cdef:0123:4567:89ab:cdef";
const std::string kRoom(32, 'c');

template <typename T>
T round_trip(const Message &in, std::optional<uint64_t> request_id = std::nullopt) {
  std::string text = serialize(in, request_id);
  Parsed parsed = parse(text);
  EXPECT_EQ(parsed.error, ParseError::kOk) << parsed.detail << " in " << text;
  EXPECT_TRUE(parsed.ignored_fields.empty());
  EXPECT_EQ(parsed.request_id, request_id);
  EXPECT_EQ(parsed.kind, kind_name(in));
  EXPECT_EQ(parsed.version, kProtocolVersion);
  EXPECT_TRUE(parsed.message && std::holds_alternative<T>(*parsed.message)) << text;
  if (!parsed.message || !std::holds_alternative<T>(*parsed.message)) return T{};
  return std::get<T>(*parsed.message);
}

TEST(SignalMessage, HelloChallengeAuthRoundTrip) {
  Hello hello;
  hello.public_key.fill(7);
  hello.token = "secret-token";
  hello.device = "laptop";
  hello.version = "0.1.0 (8522cbf)";
  Hello h = round_trip<Hello>(hello, 1);
  EXPECT_EQ(h.public_key, hello.public_key);
  EXPECT_EQ(h.token, hello.token);
  EXPECT_EQ(h.device, "laptop");
  EXPECT_EQ(h.version, "0.1.0 (8522cbf)");
  hello.version.clear();
  EXPECT_EQ(round_trip<Hello>(hello, 1).version, "");  // optional: an old client sends none

  Challenge challenge;
  challenge.nonce.fill(0x5a);
  challenge.server_fingerprint = kFp;
  Challenge c = round_trip<Challenge>(challenge);
  EXPECT_EQ(c.nonce, challenge.nonce);
  EXPECT_EQ(c.server_fingerprint, kFp);

  Auth auth;
  auth.signature.fill(0xfe);
  EXPECT_EQ(round_trip<Auth>(auth).signature, auth.signature);
}

TEST(SignalMessage, CallMessagesRoundTrip) {
  CallOffer offer;
  offer.call_id = "c1";
  offer.caller = kFp;
  offer.callee = "@bob";
  offer.key_agreement = {1, 2, 3, 4, 5};
  offer.codecs = {"opus", "codec2-1200"};
  offer.profiles = {"good", "degraded"};
  offer.candidates = {"192.0.2.1:4433", "[2001:db8::1]:4433"};
  CallOffer o = round_trip<CallOffer>(offer, 42);
  EXPECT_EQ(o.call_id, "c1");
  EXPECT_EQ(o.caller, kFp);
  EXPECT_EQ(o.callee, "@bob");
  EXPECT_EQ(o.key_agreement, offer.key_agreement);
  EXPECT_EQ(o.codecs, offer.codecs);
  EXPECT_EQ(o.profiles, offer.profiles);
  EXPECT_EQ(o.candidates, offer.candidates);

  for (AnswerMode mode :
       {AnswerMode::kAccept, AnswerMode::kAcceptWithoutAddresses, AnswerMode::kReject}) {
    CallAnswer answer;
    answer.call_id = "c1";
    answer.mode = mode;
    answer.key_agreement = {9, 9};
    answer.candidates = {"198.51.100.7:5000"};
    CallAnswer a = round_trip<CallAnswer>(answer);
    EXPECT_EQ(a.mode, mode);
    EXPECT_EQ(a.key_agreement, answer.key_agreement);
    EXPECT_EQ(a.candidates, answer.candidates);
  }

  CallSetup setup{"c1", {"198.51.100.7:5000"}, kRoom};
  CallSetup s = round_trip<CallSetup>(setup);
  EXPECT_EQ(s.peer_candidates, setup.peer_candidates);
  EXPECT_EQ(s.relay_room, kRoom);

  CallHangup h = round_trip<CallHangup>(CallHangup{"c1", "busy"});
  EXPECT_EQ(h.call_id, "c1");
  EXPECT_EQ(h.reason, "busy");
  EXPECT_EQ(round_trip<CallRinging>(CallRinging{"c9"}).call_id, "c9");

  MissedCalls missed{{{"c1", kFp, 1700000000}, {"c2", kFp2, 1700000100}}};
  EXPECT_EQ(round_trip<MissedCalls>(missed).calls, missed.calls);
}

TEST(SignalMessage, PresenceRoomsAndMiscRoundTrip) {
  PresenceList list{{{kFp, "alice", 2}, {kFp2, std::nullopt, 1}}};
  EXPECT_EQ(round_trip<PresenceList>(list).users, list.users);
  PresenceUpdate update{{kFp, "alice", 1}, false};
  PresenceUpdate u = round_trip<PresenceUpdate>(update);
  EXPECT_EQ(u.user, update.user);
  EXPECT_FALSE(u.online);

  RoomJoin join{kRoom, {kFp, kFp2}, Bytes(148, 0x33)};
  EXPECT_EQ(round_trip<RoomJoin>(join).allow, join.allow);
  EXPECT_EQ(round_trip<RoomJoin>(join).card, join.card);
  EXPECT_TRUE(round_trip<RoomJoin>(RoomJoin{kRoom, {}}).card.empty());
  EXPECT_EQ(round_trip<RoomLeave>(RoomLeave{kRoom}).room, kRoom);
  RoomEvent event = round_trip<RoomEvent>(RoomEvent{kRoom, kFp, false, 3});
  EXPECT_FALSE(event.joined);
  EXPECT_EQ(event.participants, 3u);
  EXPECT_FALSE(event.public_key);
  PublicKey key{};
  key.fill(0x5a);
  EXPECT_EQ(round_trip<RoomEvent>(RoomEvent{kRoom, kFp, true, 2, key}).public_key, key);
  EXPECT_EQ(round_trip<RoomEvent>(RoomEvent{kRoom, kFp, true, 2, key, Bytes(148, 0x44)}).card,
            Bytes(148, 0x44));
  // A card is bounded like any room signal.
  EXPECT_EQ(parse(nlohmann::json{{"type", "room_join"},
                                 {"version", 1},
                                 {"room", kRoom},
                                 {"card", std::string(4 * (kMaxRoomSignalBytes / 3 + 2), 'A')}}
                      .dump())
                .error,
            ParseError::kBadField);
  EXPECT_EQ(parse(R"({"type":"room_event","version":1,"room":")" + kRoom + R"(","fingerprint":")" +
                  kFp + R"(","joined":true,"participants":1,"public_key":"AAAA"})")
                .error,
            ParseError::kBadField);

  RoomSignal room_signal = round_trip<RoomSignal>(RoomSignal{kRoom, kFp, kFp2, {9, 8, 7}});
  EXPECT_EQ(room_signal.from, kFp);
  EXPECT_EQ(room_signal.to, kFp2);
  EXPECT_EQ(room_signal.payload, (Bytes{9, 8, 7}));
  EXPECT_EQ(parse(R"({"type":"room_signal","version":1,"room":")" + kRoom + R"("})").error,
            ParseError::kBadField);  // nothing to carry
  CallConfirm confirm = round_trip<CallConfirm>(CallConfirm{"call-9", {4, 5}});
  EXPECT_EQ(confirm.call_id, "call-9");
  EXPECT_EQ(confirm.key_agreement, (Bytes{4, 5}));
  const std::string cert(64, 'a');
  CallPath use = round_trip<CallPath>(
      CallPath{"call-9", PathStep::kUse, "203.0.113.5:61000", "direct reflexive", ""});
  EXPECT_EQ(use.step, PathStep::kUse);
  EXPECT_EQ(use.candidate, "203.0.113.5:61000");
  EXPECT_EQ(use.label, "direct reflexive");
  for (PathStep step :
       {PathStep::kOffer, PathStep::kCheck, PathStep::kNominate, PathStep::kRelay}) {
    EXPECT_EQ(round_trip<CallPath>(CallPath{"c", step, "", "", cert}).step, step);
  }
  EXPECT_EQ(round_trip<CallPath>(CallPath{"c", PathStep::kOffer, "", "", cert}).certificate, cert);
  const std::string path_head = R"({"type":"call_path","version":1,"call_id":"c","step":)";
  EXPECT_EQ(parse(path_head + R"("sideways"})").error, ParseError::kBadField);
  EXPECT_EQ(parse(path_head + R"("offer","certificate":"ab"})").error, ParseError::kBadField);
  EXPECT_EQ(parse(path_head + R"("offer","certificate":")" + std::string(64, 'G') + R"("})").error,
            ParseError::kBadField);
  EXPECT_EQ(parse(path_head + R"("use","label":")" + std::string(33, 'x') + R"("})").error,
            ParseError::kBadField);
  CallCandidates late = round_trip<CallCandidates>(
      CallCandidates{"call-9", {"203.0.113.5:61000", "[2001:db8::1]:9"}});
  EXPECT_EQ(late.candidates, (std::vector<std::string>{"203.0.113.5:61000", "[2001:db8::1]:9"}));
  std::string seventeen = R"({"type":"call_candidates","version":1,"call_id":"c","candidates":[)";
  for (int i = 0; i < 17; ++i) seventeen += std::string(i ? "," : "") + "\"192.0.2.1:1\"";
  EXPECT_EQ(parse(seventeen + "]}").error, ParseError::kBadField);  // a signal list holds 16
  // Directives name every rung of libwzp/quality's ladder by its own name.
  for (const auto &rung : quality::ladder()) {
    QualityDirective directive{kRoom, rung.tier, "weakest link"};
    EXPECT_NE(serialize(directive).find("\"tier\":\"" + std::string(rung.name) + "\""),
              std::string::npos);
    QualityDirective d = round_trip<QualityDirective>(directive);
    EXPECT_EQ(d.tier, rung.tier);
    EXPECT_EQ(d.reason, "weakest link");
  }

  round_trip<ReflectRequest>(ReflectRequest{});
  EXPECT_EQ(round_trip<ReflectResponse>(ReflectResponse{"203.0.113.5:61000"}).address,
            "203.0.113.5:61000");
  EXPECT_EQ(round_trip<AliasResolved>(AliasResolved{"@al", kFp, "al"}).fingerprint, kFp);
  EXPECT_EQ(round_trip<AliasClaim>(AliasClaim{"alice"}).alias, "alice");
  EXPECT_EQ(round_trip<AliasRelease>(AliasRelease{"alice"}).alias, "alice");
  EXPECT_EQ(round_trip<AliasResolve>(AliasResolve{"ab12"}).query, "ab12");
  EXPECT_EQ(round_trip<Welcome>(Welcome{kFp, "alice"}).alias, "alice");
  EXPECT_EQ(round_trip<Welcome>(Welcome{kFp, std::nullopt, "0.1.0"}).version, "0.1.0");
  round_trip<Ok>(Ok{}, 5);
  Error e = round_trip<Error>(Error{"busy", "callee is busy", "c1"});
  EXPECT_EQ(e.code, "busy");
  EXPECT_EQ(e.call_id, "c1");
}

TEST(SignalMessage, UnknownFieldsAreSkippedAndListed) {
  Parsed p = parse(R"({"type":"call_ringing","version":3,"call_id":"x","shiny":1,"more":[]})");
  ASSERT_EQ(p.error, ParseError::kOk) << p.detail;
  EXPECT_EQ(p.version, 3u);
  EXPECT_EQ(std::get<CallRinging>(*p.message).call_id, "x");
  EXPECT_EQ(p.ignored_fields, (std::vector<std::string>{"more", "shiny"}));
}

TEST(SignalMessage, UnknownKindIsReportedNotFatal) {
  Parsed p = parse(R"({"type":"teleport","version":1,"where":"mars"})");
  EXPECT_EQ(p.error, ParseError::kUnknownKind);
  EXPECT_EQ(p.kind, "teleport");
  EXPECT_FALSE(p.message);
  EXPECT_NE(p.detail.find("teleport"), std::string::npos);
}

TEST(SignalMessage, EnvelopeErrors) {
  EXPECT_EQ(parse("").error, ParseError::kMalformed);
  EXPECT_EQ(parse("{\"type\":").error, ParseError::kMalformed);
  EXPECT_EQ(parse("[1,2]").error, ParseError::kNotObject);
  EXPECT_EQ(parse("\"hello\"").error, ParseError::kNotObject);
  EXPECT_EQ(parse(R"({"version":1})").error, ParseError::kMissingType);
  EXPECT_EQ(parse(R"({"type":5,"version":1})").error, ParseError::kMissingType);
  EXPECT_EQ(parse(R"({"type":"ok"})").error, ParseError::kBadVersion);
  EXPECT_EQ(parse(R"({"type":"ok","version":0})").error, ParseError::kBadVersion);
  EXPECT_EQ(parse(R"({"type":"ok","version":-1})").error, ParseError::kBadVersion);
  EXPECT_EQ(parse(R"({"type":"ok","version":"1"})").error, ParseError::kBadVersion);
  EXPECT_EQ(parse(R"({"type":"ok","version":1,"request_id":-4})").error, ParseError::kBadField);
  EXPECT_EQ(parse(std::string(kMaxMessageBytes + 1, ' ')).error, ParseError::kTooLarge);
  std::string deep =
      R"({"type":"ok","version":1,"x":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_EQ(parse(deep).error, ParseError::kTooDeep);
  // Brackets inside strings do not count as nesting.
  std::string brackets = R"({"type":"ok","version":1,"x":")" + std::string(50, '[') + "\"}";
  EXPECT_EQ(parse(brackets).error, ParseError::kOk);
}

TEST(SignalMessage, FieldErrorsNameTheField) {
  auto bad = [](const std::string &text, const std::string &field) {
    Parsed p = parse(text);
    EXPECT_EQ(p.error, ParseError::kBadField) << text;
    EXPECT_NE(p.detail.find(field), std::string::npos) << p.detail;
    EXPECT_FALSE(p.message);
  };
  bad(R"({"type":"hello","version":1})", "public_key");
  bad(R"({"type":"hello","version":1,"public_key":"AAAA"})", "public_key");
  bad(R"({"type":"hello","version":1,"public_key":"not base64!"})", "public_key");
  bad(R"({"type":"auth","version":1,"signature":7})", "signature");
  bad(R"({"type":"call_answer","version":1,"call_id":"c","mode":"maybe"})", "mode");
  bad(R"({"type":"call_offer","version":1,"call_id":"c"})", "callee");
  bad(R"({"type":"call_offer","version":1,"call_id":"c","callee":"@b","codecs":[1]})", "codecs");
  bad(R"({"type":"room_join","version":1,"room":"nothex"})", "room");
  bad(R"({"type":"room_join","version":1,"room":")" + kRoom + R"(","allow":["zz"]})", "allow");
  bad(R"({"type":"quality_directive","version":1,"room":")" + kRoom + R"(","tier":"meh"})", "tier");
  bad(R"({"type":"call_hangup","version":1,"call_id":")" + std::string(100, 'x') +
          R"(","reason":"x"})",
      "call_id");
  nlohmann::json many = {
      {"type", "call_offer"}, {"version", 1}, {"call_id", "c"}, {"callee", "@b"}};
  many["candidates"] = std::vector<std::string>(kMaxListItems + 1, "1.2.3.4:5");
  bad(many.dump(), "candidates");
}

TEST(SignalMessage, JunkAfterANulIsRefused) {
  std::string text = serialize(Ok{});
  ASSERT_EQ(parse(text).error, ParseError::kOk);
  text += std::string("\0{\"type\":\"junk\"}", 17);
  Parsed parsed = parse(text);
  EXPECT_EQ(parsed.error, ParseError::kMalformed);
  EXPECT_NE(parsed.detail.find("NUL"), std::string::npos) << parsed.detail;
  EXPECT_FALSE(parsed.message);
}

TEST(SignalMessage, DuplicateKeysAreRefusedAtAnyDepth) {
  Parsed top = parse(R"({"type":"alias_claim","version":1,"alias":"bob","alias":"eve"})");
  EXPECT_EQ(top.error, ParseError::kMalformed);
  EXPECT_NE(top.detail.find("'alias' appears twice"), std::string::npos) << top.detail;
  EXPECT_FALSE(top.message);
  Parsed type = parse(R"({"type":"ok","version":1,"type":"reflect_request"})");
  EXPECT_EQ(type.error, ParseError::kMalformed);
  Parsed nested = parse(R"({"type":"presence_list","version":1,"users":[{"fingerprint":")" + kFp +
                        R"(","devices":1,"devices":2}]})");
  EXPECT_EQ(nested.error, ParseError::kMalformed);
  EXPECT_NE(nested.detail.find("'devices' appears twice"), std::string::npos) << nested.detail;
  // The same key in two sibling objects is fine.
  Parsed siblings = parse(R"({"type":"presence_list","version":1,"users":[{"fingerprint":")" + kFp +
                          R"(","devices":1},{"fingerprint":")" + kFp2 + R"(","devices":2}]})");
  EXPECT_EQ(siblings.error, ParseError::kOk) << siblings.detail;
}

TEST(SignalMessage, FingerprintForm) {
  EXPECT_TRUE(is_fingerprint(kFp2));
  EXPECT_FALSE(is_fingerprint("0123:4567:89AB:cdef:0123:4567:89ab:cdef"));  // upper case
  EXPECT_FALSE(is_fingerprint("0123456789abcdef0123456789abcdef"));         // no colons
  EXPECT_FALSE(is_fingerprint("0123:4567:89ab:cdef:0123:4567:89ab:cde"));   // short
  EXPECT_FALSE(is_fingerprint("0123:4567:89ab:cdef:0123:4567:89ab:cdeg"));
}

TEST(SignalMessage, FingerprintDigitsNameFingerprintsAndPrefixes) {
  EXPECT_EQ(fingerprint_digits(kFp2), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(fingerprint_digits("0123-4567 89AB"), "0123456789ab");
  EXPECT_EQ(fingerprint_digits("cafe"), "cafe");
  EXPECT_EQ(fingerprint_digits("dead-beef"), "deadbeef");
  EXPECT_FALSE(fingerprint_digits("abc"));       // too short to be a prefix
  EXPECT_FALSE(fingerprint_digits("@cafe"));     // an alias, explicitly
  EXPECT_FALSE(fingerprint_digits("cafe.bar"));  // '.' is no separator
  EXPECT_FALSE(fingerprint_digits("bob"));
  EXPECT_FALSE(fingerprint_digits(std::string(33, 'a')));  // longer than a fingerprint
  EXPECT_EQ(fingerprint_from_digits(*fingerprint_digits(kFp2)), kFp2);
}

TEST(SignalMessage, TranscriptBindsNonceAndServer) {
  Nonce a{}, b{};
  b[0] = 1;
  EXPECT_NE(auth_transcript(a, kFp), auth_transcript(b, kFp));
  EXPECT_NE(auth_transcript(a, kFp), auth_transcript(a, kFp2));
  // The certificate pin is signed in one spelling, whatever the user typed.
  std::string pin = "AB:cd:" + std::string(60, 'e');
  EXPECT_EQ(auth_transcript(a, pin), auth_transcript(a, "abcd" + std::string(60, 'e')));
  EXPECT_NE(auth_transcript(a, pin), auth_transcript(a, std::string(64, 'e')));
}

}  // namespace
}  // namespace wzp::signal
