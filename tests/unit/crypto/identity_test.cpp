// Identity derivation, fingerprints, BIP39 mnemonics and room-name hashing.
// Expected identity values were computed independently (Python's
// `cryptography` and hashlib) from the Warzone derivation rules.
#include "libwzp/crypto/identity.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include "libwzp/crypto/bip39.hpp"
#include "libwzp/crypto/hkdf.hpp"
#include "tests/unit/crypto/hex.hpp"

namespace wzp::crypto {
namespace {

Seed counting_seed() {
  Seed seed;
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
  return seed;
}

TEST(Identity, DerivesWarzoneKeysFromSeed) {
  Identity id = Identity::from_seed(counting_seed());
  EXPECT_EQ(base::to_hex(id.signing_public_key()),
            "46705b2fa5f2e0d9917cd934f76c4442f8d8908c2dae9259922c0c52c106183d");
  EXPECT_EQ(base::to_hex(id.agreement_public_key()),
            "70ea094727e0b015acb996e4264e7483b178f6a8614f73d5b83aeecf89bd011f");
  EXPECT_EQ(format_fingerprint(id.fingerprint()), "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa");
  EXPECT_EQ(id.seed(), counting_seed());
}

TEST(Identity, SignaturesVerifyOnlyForTheSignedMessage) {
  Identity id = Identity::generate();
  auto message = label("call offer");
  Signature signature = id.sign(message);
  EXPECT_TRUE(verify_signature(id.signing_public_key(), message, signature));
  EXPECT_FALSE(verify_signature(id.signing_public_key(), label("call offeR"), signature));
  Identity other = Identity::generate();
  EXPECT_FALSE(verify_signature(other.signing_public_key(), message, signature));
}

TEST(Identity, AgreementMatchesBothWays) {
  Identity a = Identity::generate(), b = Identity::generate();
  uint8_t ab[32], ba[32];
  ASSERT_TRUE(a.agree(b.agreement_public_key(), ab));
  ASSERT_TRUE(b.agree(a.agreement_public_key(), ba));
  EXPECT_EQ(base::to_hex(ab), base::to_hex(ba));
  AgreementPublicKey low_order{};  // the all-zero point
  EXPECT_FALSE(a.agree(low_order, ab));
}

TEST(Identity, OpensSealedBoxesAddressedToIt) {
  Identity id = Identity::generate();
  std::vector<uint8_t> plain = {1, 2, 3, 4};
  std::vector<uint8_t> sealed(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(sealed.data(), plain.data(), plain.size(), id.agreement_public_key().data());
  std::vector<uint8_t> out(plain.size());
  ASSERT_TRUE(id.open_sealed(sealed, out));
  EXPECT_EQ(out, plain);
  sealed.back() ^= 1;
  EXPECT_FALSE(id.open_sealed(sealed, out));
  EXPECT_FALSE(Identity::generate().open_sealed(sealed, out));
}

TEST(Fingerprint, ParsesLeniently) {
  auto expected = test::unhex("687112110e91ecb309f66f51d257ccaa");
  for (const char *text :
       {"6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa", "6871:1211:0E91:ECB3:09F6:6F51:D257:CCAA",
        "687112110e91ecb309f66f51d257ccaa", "6871-1211-0e91-ecb3 09f6 6f51 d257 ccaa"}) {
    std::string error;
    auto parsed = parse_fingerprint(text, &error);
    ASSERT_TRUE(parsed) << text << ": " << error;
    EXPECT_EQ(std::vector<uint8_t>(parsed->begin(), parsed->end()), expected);
  }
}

TEST(Fingerprint, RejectsMalformedTextWithAReason) {
  struct Case {
    const char *text, *reason;
  };
  for (const Case &c :
       {Case{"6871:1211", "expected 32 hex digits, found 8"},
        Case{"6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa:00", "more than 32"},
        Case{"6871:1211:0e91:ecb3:09f6:6f51:d257:ccaz", "character 39"}, Case{"", "found 0"}}) {
    std::string error;
    EXPECT_FALSE(parse_fingerprint(c.text, &error)) << c.text;
    EXPECT_NE(error.find(c.reason), std::string::npos) << c.text << " -> " << error;
  }
}

// The 256-bit entropy vectors of the official BIP39 test set (trezor/python-mnemonic).
TEST(Bip39, OfficialVectors) {
  struct Vector {
    const char *entropy, *mnemonic;
  };
  const Vector vectors[] = {
      {"0000000000000000000000000000000000000000000000000000000000000000",
       "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
       "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
       "abandon art"},
      {"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
       "legal winner thank year wave sausage worth useful legal winner thank year wave sausage "
       "worth useful legal winner thank year wave sausage worth title"},
      {"8080808080808080808080808080808080808080808080808080808080808080",
       "letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount "
       "doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless"},
      {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
       "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
       "zoo "
       "vote"},
      {"68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c",
       "hamster diagram private dutch cause delay private meat slide toddler razor book happy "
       "fancy gospel tennis maple dilemma loan word shrug inflict delay length"},
      {"9f6a2878b2520799a44ef18bc7df394e7061a224d2c33cd015b157d746869863",
       "panda eyebrow bullet gorilla call smoke muffin taste mesh discover soft ostrich alcohol "
       "speed nation flash devote level hobby quick inner drive ghost inside"},
      {"066dca1a2bb7e8a1db2832148ce9933eea0f3ac9548d793112d9a95c9407efad",
       "all hour make first leader extend hole alien behind guard gospel lava path output census "
       "museum junior mass reopen famous sing advance salt reform"},
      {"f585c11aec520db57dd353c69554b21a89b20fb0650966fa0a9d6f74fd989d8f",
       "void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing "
       "screen patrol group space point ten exist slush involve unfold"},
  };
  for (const auto &v : vectors) {
    Seed seed;
    ASSERT_TRUE(base::from_hex(v.entropy, seed));
    EXPECT_EQ(seed_to_mnemonic(seed), v.mnemonic);
    std::string error;
    auto back = mnemonic_to_seed(v.mnemonic, &error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, seed);
  }
}

TEST(Bip39, AcceptsCaseAndWhitespaceVariations) {
  Seed seed = counting_seed();
  std::string words = seed_to_mnemonic(seed);
  for (auto &c : words) c = c == ' ' ? '\n' : static_cast<char>(std::toupper(c));
  auto back = mnemonic_to_seed("  " + words + "\t ");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, seed);
}

TEST(Bip39, RejectsBadMnemonicsWithAReason) {
  std::string good = seed_to_mnemonic(counting_seed());
  std::string error;
  EXPECT_FALSE(mnemonic_to_seed(good.substr(0, good.rfind(' ')), &error));
  EXPECT_NE(error.find("expected 24 words, found 23"), std::string::npos) << error;
  EXPECT_FALSE(mnemonic_to_seed(good + " zoo", &error));
  EXPECT_NE(error.find("more than 24"), std::string::npos) << error;
  EXPECT_FALSE(mnemonic_to_seed("wzpword " + good.substr(good.find(' ') + 1), &error));
  EXPECT_NE(error.find("word 1 (\"wzpword\")"), std::string::npos) << error;
  // "abandon x23 abandon" has the right words but the wrong checksum word.
  std::string bad_checksum;
  for (int i = 0; i < 24; ++i) bad_checksum += i ? " abandon" : "abandon";
  EXPECT_FALSE(mnemonic_to_seed(bad_checksum, &error));
  EXPECT_NE(error.find("checksum"), std::string::npos) << error;
}

TEST(Bip39, WordlistIsSortedAndComplete) {
  for (size_t i = 1; i < 2048; ++i) {
    EXPECT_LT(std::string_view(bip39::kEnglishWords[i - 1]), bip39::kEnglishWords[i]);
  }
  EXPECT_STREQ(bip39::kEnglishWords[0], "abandon");
  EXPECT_STREQ(bip39::kEnglishWords[2047], "zoo");
}

TEST(RoomName, HashesWithFeatherchatPrefix) {
  EXPECT_EQ(hash_room_name("ops"), "354d8815eefd1cee6d6b51874b72908f");
  EXPECT_EQ(hash_room_name("ops").size(), 32u);
  EXPECT_NE(hash_room_name("Ops"), hash_room_name("ops"));
}

}  // namespace
}  // namespace wzp::crypto
