// The standard vectors for every primitive wzp builds on: RFC 5869 (HKDF),
// RFC 8032 (Ed25519), RFC 7748 (X25519), RFC 8439 (ChaCha20-Poly1305).
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "libwzp/crypto/hkdf.hpp"
#include "libwzp/crypto/identity.hpp"
#include "tests/unit/crypto/hex.hpp"

namespace wzp::crypto {
namespace {

using test::unhex;

struct HkdfVector {
  const char *ikm, *salt, *info, *prk, *okm;
};

TEST(Rfc5869, AllSha256Vectors) {
  const std::string tc2_ikm = base::to_hex(std::vector<uint8_t>([] {
    std::vector<uint8_t> v(80);
    for (int i = 0; i < 80; ++i) v[i] = static_cast<uint8_t>(i);
    return v;
  }()));
  auto range = [](int from, int count) {
    std::vector<uint8_t> v(count);
    for (int i = 0; i < count; ++i) v[i] = static_cast<uint8_t>(from + i);
    return base::to_hex(v);
  };
  const std::string tc2_salt = range(0x60, 80), tc2_info = range(0xb0, 80);
  const HkdfVector vectors[] = {
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
       "f0f1f2f3f4f5f6f7f8f9", "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {tc2_ikm.c_str(), tc2_salt.c_str(), tc2_info.c_str(),
       "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e"
       "590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
       "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
  for (const auto &v : vectors) {
    auto ikm = unhex(v.ikm), salt = unhex(v.salt), info = unhex(v.info);
    Hash prk = hkdf_extract(salt, ikm);
    EXPECT_EQ(base::to_hex(prk), v.prk);
    std::vector<uint8_t> okm(std::string_view(v.okm).size() / 2);
    ASSERT_TRUE(hkdf_expand(prk, info, okm));
    EXPECT_EQ(base::to_hex(okm), v.okm);
    std::vector<uint8_t> oneshot(okm.size());
    ASSERT_TRUE(hkdf(salt, ikm, info, oneshot));
    EXPECT_EQ(oneshot, okm);
  }
}

TEST(Rfc5869, RefusesOutputLongerThan255Blocks) {
  std::vector<uint8_t> out(255 * 32 + 1);
  Hash prk{};
  EXPECT_FALSE(hkdf_expand(prk, {}, out));
}

struct Ed25519Vector {
  const char *secret, *public_key, *message, *signature;
};

TEST(Rfc8032, Ed25519Vectors) {
  const Ed25519Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf"
       "9"
       "b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f"
       "1"
       "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984"
       "d"
       "c6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto &v : vectors) {
    auto seed = unhex(v.secret), message = unhex(v.message);
    uint8_t pk[32], sk[64];
    crypto_sign_seed_keypair(pk, sk, seed.data());
    EXPECT_EQ(base::to_hex(pk), v.public_key);
    Signature signature;
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), sk);
    EXPECT_EQ(base::to_hex(signature), v.signature);
    SigningPublicKey public_key;
    std::copy(pk, pk + 32, public_key.begin());
    EXPECT_TRUE(verify_signature(public_key, message, signature));
    signature[7] ^= 1;
    EXPECT_FALSE(verify_signature(public_key, message, signature));
  }
}

TEST(Rfc7748, X25519FunctionVector) {
  auto scalar = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  auto u = unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
  uint8_t out[32];
  ASSERT_EQ(crypto_scalarmult(out, scalar.data(), u.data()), 0);
  EXPECT_EQ(base::to_hex(out), "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

TEST(Rfc7748, DiffieHellmanVector) {
  auto alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto bob = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  uint8_t alice_pk[32], bob_pk[32], s1[32], s2[32];
  crypto_scalarmult_base(alice_pk, alice.data());
  crypto_scalarmult_base(bob_pk, bob.data());
  EXPECT_EQ(base::to_hex(alice_pk),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(base::to_hex(bob_pk),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  ASSERT_EQ(crypto_scalarmult(s1, alice.data(), bob_pk), 0);
  ASSERT_EQ(crypto_scalarmult(s2, bob.data(), alice_pk), 0);
  EXPECT_EQ(base::to_hex(s1), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(base::to_hex(s2), base::to_hex(s1));
}

TEST(Rfc8439, AeadVector) {
  auto key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  auto nonce = unhex("070000004041424344454647");
  auto aad = unhex("50515253c0c1c2c3c4c5c6c7");
  std::string plain =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
      "sunscreen would be it.";
  std::vector<uint8_t> out(plain.size());
  uint8_t tag[16];
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      out.data(), tag, nullptr, reinterpret_cast<const uint8_t *>(plain.data()), plain.size(),
      aad.data(), aad.size(), nullptr, nonce.data(), key.data());
  EXPECT_EQ(
      base::to_hex(out),
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb"
      "69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad67"
      "5945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116");
  EXPECT_EQ(base::to_hex(tag), "1ae10b594f09e26a7e902ecbd0600691");
}

}  // namespace
}  // namespace wzp::crypto
