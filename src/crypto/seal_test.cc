#include "crypto/seal.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crypto/init.h"
#include "crypto/threshold.h"

namespace cipherstat::crypto {
namespace {

class SealTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(Init().ok());
    auto sk = GenerateKey(2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    sk_ = std::make_unique<SecretKey>(std::move(sk).value());
  }
  static const PublicKey& pk() { return sk_->public_key(); }
  static BigInt KeyOf(const Sealed& sealed) {
    auto c = SealedKey(pk(), sealed);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    auto k = Decrypt(*sk_, *c);
    EXPECT_TRUE(k.ok());
    return k.ok() ? *k : BigInt();
  }
  static inline std::unique_ptr<SecretKey> sk_;
};

TEST_F(SealTest, OpensWithTheDecryptedKeyAndContext) {
  const std::string secret = "levels: rare_dx_Q7, max 9183746";
  const Sealed sealed = Seal(pk(), secret, "context A");
  EXPECT_EQ(sealed.box.find("rare_dx_Q7"), std::string::npos);
  EXPECT_EQ(SealedToJson(sealed).find("rare_dx_Q7"), std::string::npos);
  auto opened = Open(sealed, KeyOf(sealed), "context A");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, secret);
  // Two seals of the same bytes share nothing.
  const Sealed again = Seal(pk(), secret, "context A");
  EXPECT_NE(again.key_ciphertext, sealed.key_ciphertext);
  EXPECT_NE(again.box, sealed.box);
}

TEST_F(SealTest, WrongKeyContextOrBytesAreCorruption) {
  const Sealed sealed = Seal(pk(), "schema", "context A");
  const BigInt k = KeyOf(sealed);
  EXPECT_EQ(Open(sealed, k, "context B").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Open(sealed, k + BigInt(1), "context A").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Open(sealed, k * BigInt::Power(2, 300), "context A").status().code(),
            Status::Code::kCorruption)
      << "a key wider than 256 bits";
  Sealed flipped = sealed;
  flipped.box[0] = static_cast<char>(flipped.box[0] ^ 1);
  EXPECT_EQ(Open(flipped, k, "context A").status().code(), Status::Code::kCorruption);
  Sealed short_nonce = sealed;
  short_nonce.nonce.pop_back();
  EXPECT_EQ(Open(short_nonce, k, "context A").status().code(), Status::Code::kCorruption);
  Sealed bad_key = sealed;
  bad_key.key_ciphertext.assign(bad_key.key_ciphertext.size(), '\0');
  EXPECT_FALSE(SealedKey(pk(), bad_key).ok()) << "0 is not in Z*_{n^2}";
}

TEST_F(SealTest, JsonRoundTripsAndRejectsDamage) {
  const Sealed sealed = Seal(pk(), "schema", "ctx");
  auto read = SealedFromJson(SealedToJson(sealed), "m");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, sealed);
  for (const char* bad : {"", "[]", R"({"key":"AA==","nonce":"AA=="})",
                          R"({"key":"AA==","nonce":"AA==","box":"not base64!"})",
                          R"({"key":1,"nonce":"AA==","box":"AA=="})"}) {
    EXPECT_EQ(SealedFromJson(bad, "m").status().code(), Status::Code::kCorruption) << bad;
  }
}

// t custodians open it together, like any result: the key ciphertext is decrypted from their
// partial decryptions.
TEST_F(SealTest, ThresholdCustodiansOpenItTogether) {
  auto dealt = GenerateThresholdKey(1024, 3, 2, /*allow_small=*/true);
  ASSERT_TRUE(dealt.ok()) << dealt.status().ToString();
  const ThresholdKey& key = *dealt;
  const Sealed sealed = Seal(key.pub.pk, "schema for custodians", "ctx");
  auto c = SealedKey(key.pub.pk, sealed);
  ASSERT_TRUE(c.ok());
  const PartialDecryption a = PartialDecrypt(key.shares[0], *c);
  const PartialDecryption b = PartialDecrypt(key.shares[2], *c);
  auto k = CombinePartials(key.pub, {&a, &b});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  auto opened = Open(sealed, *k, "ctx");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "schema for custodians");
}

}  // namespace
}  // namespace cipherstat::crypto
