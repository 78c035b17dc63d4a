// The designated combiner (crypto/combiner.h): sealed boxes open for their combiner alone, its
// keystore, and share keystores that carry its public key under their AEAD.
#include "crypto/combiner.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/threshold.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat::crypto {
namespace {

constexpr char kWrong[] = "wrong passphrase, or the keystore was altered";
const std::string kFingerprint(64, 'c');

TEST(CombinerTest, OnlyTheCombinerOpensWhatIsSealedToIt) {
  const CombinerKey combiner = CombinerKey::Generate();
  const CombinerKey other = CombinerKey::Generate();
  const std::string box = SealToCombiner(combiner.public_key(), "partial decryptions");
  auto opened = combiner.Open(box);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "partial decryptions");

  EXPECT_EQ(other.Open(box).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(other.Open(box).status().message().starts_with("not sealed to this combiner"));
  std::string altered = box;
  altered[altered.size() / 2] ^= 1;
  EXPECT_FALSE(combiner.Open(altered).ok());
  EXPECT_FALSE(combiner.Open(box.substr(0, 10)).ok());
}

TEST(CombinerTest, PublicKeyHexIsCanonical) {
  const CombinerKey key = CombinerKey::Generate();
  const std::string hex = key.public_key().Hex();
  auto back = CombinerPublicKey::FromHex(hex, "field");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == key.public_key());
  EXPECT_FALSE(CombinerPublicKey::FromHex("AA" + hex.substr(2), "field").ok());
  EXPECT_FALSE(CombinerPublicKey::FromHex(hex.substr(2), "field").ok());
}

TEST(CombinerTest, KeystoreRoundTripsUnderItsPassphraseOnly) {
  testing::ScratchDir dir;
  const std::string path = dir / "combiner.key";
  const CombinerKey key = CombinerKey::Generate();
  const VerifyKey owner = SigningKey::Generate().verify_key();
  ASSERT_TRUE(
      WriteCombinerKeystore(path, key, kFingerprint, owner, Passphrase("owner"), FastKdfLimits())
          .ok());
  auto info = ReadKeystoreInfo(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->kind, "combiner");
  EXPECT_EQ(info->combiner_key, key.public_key().Hex());
  EXPECT_EQ(info->fingerprint, kFingerprint);

  auto read = ReadCombinerKeystore(path, Passphrase("owner"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->Open(SealToCombiner(key.public_key(), "x")).value(), "x");
  EXPECT_EQ(ReadCombinerKeystore(path, Passphrase("not it")).status().message(),
            path + ": " + kWrong);

  // Handing it to someone else: a passphrase of theirs, the same key.
  ASSERT_TRUE(ChangeKeystorePassphrase(path, Passphrase("owner"), Passphrase("combiner")).ok());
  auto handed = ReadCombinerKeystore(path, Passphrase("combiner"));
  ASSERT_TRUE(handed.ok()) << handed.status().ToString();
  EXPECT_TRUE(handed->public_key() == key.public_key());

  // Its public key is authenticated: another one in the header does not open.
  std::string text = ReadFile(path).value();
  const std::string other = CombinerKey::Generate().public_key().Hex();
  text.replace(text.find(key.public_key().Hex()), other.size(), other);
  testing::WriteText(path, text);
  EXPECT_EQ(ReadCombinerKeystore(path, Passphrase("combiner")).status().message(),
            path + ": " + kWrong);
}

class ShareKeystoreCombinerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto key = GenerateThresholdKey(1024, 2, 2, /*allow_small=*/true);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    share_ = new KeyShare(key->shares[0]);
  }
  static void TearDownTestSuite() {
    delete share_;
    share_ = nullptr;
  }
  static inline KeyShare* share_ = nullptr;
};

// The combiner a custodian seals to comes from its own keystore, under the AEAD: replacing it
// there makes the keystore not open.
TEST_F(ShareKeystoreCombinerTest, ShareKeystoreNamesTheCombinerUnderItsAead) {
  ASSERT_NE(share_, nullptr);
  testing::ScratchDir dir;
  const std::string path = dir / "share-1.key";
  const CombinerKey combiner = CombinerKey::Generate();
  const VerifyKey owner = SigningKey::Generate().verify_key();
  ASSERT_TRUE(WriteShareKeystore(path, *share_, owner, combiner.public_key(), Passphrase("c1"),
                                 FastKdfLimits())
                  .ok());
  auto opened = ReadShareKeystore(path, Passphrase("c1"), /*allow_small=*/true);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->combiner == combiner.public_key());

  std::string text = ReadFile(path).value();
  const std::string mine = CombinerKey::Generate().public_key().Hex();
  text.replace(text.find(combiner.public_key().Hex()), mine.size(), mine);
  testing::WriteText(path, text);
  EXPECT_EQ(ReadShareKeystore(path, Passphrase("c1"), true).status().message(),
            path + ": " + kWrong);
}

// A share dealt before partials were sealed names no combiner: refused before its passphrase.
TEST_F(ShareKeystoreCombinerTest, ShareWithoutCombinerIsRefused) {
  ASSERT_NE(share_, nullptr);
  testing::ScratchDir dir;
  const std::string path = dir / "share-1.key";
  KeystoreInfo header;
  header.kind = "share";
  header.fingerprint = share_->pk.Fingerprint();
  header.verify_key = SigningKey::Generate().verify_key().Hex();
  header.share_index = 1;
  header.share_threshold = 2;
  header.share_parties = 2;
  header.limits = FastKdfLimits();
  ASSERT_TRUE(WriteSealedKeystore(path, header, KeyShareToJson(*share_), Passphrase("c1")).ok());
  Status s = ReadShareKeystore(path, Passphrase("c1"), true).status();
  EXPECT_EQ(s.code(), Status::Code::kNotSupported);
  EXPECT_TRUE(s.message().starts_with(
      path + ": dealt before partial decryptions were sealed to a combiner"))
      << s.ToString();
}

}  // namespace
}  // namespace cipherstat::crypto
