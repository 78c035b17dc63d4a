#include "crypto/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "test_util.h"
#include "util/file.h"

namespace cipherstat::crypto {
namespace {

constexpr char kWrong[] = "wrong passphrase, or the keystore was altered";

class KeystoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<SecretKey> sk = GenerateKey(2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    sk_ = new SecretKey(std::move(sk).value());
  }
  static void TearDownTestSuite() {
    delete sk_;
    sk_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(sk_, nullptr) << "key generation failed";
    path_ = scratch_ / "secret.key";
    ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  }

  // Rewrites the keystore after `edit` has changed its JSON.
  void Edit(const std::function<void(nlohmann::json&)>& edit) {
    Result<std::string> text = ReadFile(path_);
    ASSERT_TRUE(text.ok());
    nlohmann::json j = nlohmann::json::parse(*text);
    edit(j);
    ASSERT_TRUE(WriteFileAtomic(path_, j.dump()).ok());
  }
  // Changes one hex digit, and so one byte, of a hex field.
  void FlipHexDigit(const char* field, size_t index) {
    Edit([&](nlohmann::json& j) {
      std::string s = j.at(field).get<std::string>();
      ASSERT_LT(index, s.size());
      s[index] = s[index] == '0' ? '1' : '0';
      j[field] = s;
    });
  }
  void ExpectWrongPassphraseError(const Passphrase& pass) {
    Result<SecretKey> sk = ReadKeystore(path_, pass);
    ASSERT_FALSE(sk.ok());
    EXPECT_EQ(sk.status().code(), Status::Code::kInvalidArgument) << sk.status().ToString();
    EXPECT_EQ(sk.status().message(), path_ + ": " + kWrong);
  }
  void ExpectError(Status::Code code, const std::string& text) {
    Result<SecretKey> sk = ReadKeystore(path_, pass_);
    ASSERT_FALSE(sk.ok());
    EXPECT_EQ(sk.status().code(), code) << sk.status().ToString();
    EXPECT_NE(sk.status().message().find(text), std::string::npos) << sk.status().ToString();
  }

  static SecretKey* sk_;
  testing::ScratchDir scratch_;
  std::string path_;
  Passphrase pass_{"correct horse battery staple"};
};
SecretKey* KeystoreTest::sk_ = nullptr;

TEST_F(KeystoreTest, RoundTrip) {
  Result<SecretKey> sk = ReadKeystore(path_, pass_);
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  EXPECT_EQ(sk->p(), sk_->p());
  EXPECT_EQ(sk->q(), sk_->q());
  const BigInt m(424242);
  Result<BigInt> d = Decrypt(*sk, Encrypt(sk_->public_key(), m));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, m);
}

TEST_F(KeystoreTest, FileIsOwnerOnlyAndHoldsNoPlaintextSecret) {
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<std::string> text = ReadFile(path_);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find(sk_->p().ToHex().substr(0, 16)), std::string::npos);
  EXPECT_EQ(text->find(sk_->q().ToHex().substr(0, 16)), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(*text);
  EXPECT_EQ(j.at("format"), "cipherstat-keystore");
  EXPECT_EQ(j.at("version"), 2);
  EXPECT_EQ(j.at("kind"), "paillier");
  EXPECT_EQ(j.at("kdf"), "argon2id13");
  EXPECT_EQ(j.at("aead"), "xchacha20poly1305-ietf");
}

TEST_F(KeystoreTest, OverwriteKeepsOneFile) {
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  EXPECT_TRUE(ReadKeystore(path_, pass_).ok());
}

TEST_F(KeystoreTest, WrongPassphrase) {
  ExpectWrongPassphraseError(Passphrase("correct horse battery stapler"));
  ExpectWrongPassphraseError(Passphrase(""));
}

TEST_F(KeystoreTest, FlippedCiphertextByte) {
  FlipHexDigit("ciphertext", 40);
  ExpectWrongPassphraseError(pass_);
}

TEST_F(KeystoreTest, FlippedTagByte) {
  Result<std::string> text = ReadFile(path_);
  ASSERT_TRUE(text.ok());
  const size_t len = nlohmann::json::parse(*text).at("ciphertext").get<std::string>().size();
  FlipHexDigit("ciphertext", len - 1);
  ExpectWrongPassphraseError(pass_);
}

// Found by CI: bit 5 of a hex letter turns 'a' into 'A', which decodes to the same byte.
// Every hex field must be rejected in any spelling but the canonical lowercase one.
TEST_F(KeystoreTest, UppercasedHexDigitIsDetected) {
  for (const char* field : {"ciphertext", "salt", "nonce"}) {
    SetUp();
    Edit([&](nlohmann::json& j) {
      std::string s = j.at(field).get<std::string>();
      const size_t letter = s.find_first_of("abcdef");
      ASSERT_NE(letter, std::string::npos) << field;
      s[letter] = static_cast<char>(s[letter] - 'a' + 'A');
      j[field] = s;
    });
    ExpectError(Status::Code::kCorruption, "lowercase");
  }
}

TEST_F(KeystoreTest, FlippedNonceByte) {
  FlipHexDigit("nonce", 3);
  ExpectWrongPassphraseError(pass_);
}

TEST_F(KeystoreTest, FlippedSaltByte) {
  FlipHexDigit("salt", 0);
  ExpectWrongPassphraseError(pass_);
}

TEST_F(KeystoreTest, EditedFingerprint) {
  FlipHexDigit("fingerprint", 63);
  ExpectWrongPassphraseError(pass_);
}

TEST_F(KeystoreTest, FingerprintOfAnotherKey) {
  Result<SecretKey> other = GenerateKey(2048);
  ASSERT_TRUE(other.ok());
  Edit([&](nlohmann::json& j) { j["fingerprint"] = other->public_key().Fingerprint(); });
  ExpectWrongPassphraseError(pass_);
}

// A keystore cut short inside its sealed key is reported as damaged, by byte offset: neither
// the sealed key's hex nor a wrong passphrase, which it is not (IsWrongPassphrase).
TEST_F(KeystoreTest, TruncatedFileIsDamagedNotAWrongPassphrase) {
  Result<std::string> text = ReadFile(path_);
  ASSERT_TRUE(text.ok());
  const size_t cut = text->find("\"ciphertext\"") + 200;
  ASSERT_LT(cut, text->size());
  ASSERT_TRUE(WriteFileAtomic(path_, text->substr(0, cut)).ok());
  for (const Status& s : {ReadKeystore(path_, pass_).status(), ReadKeystoreInfo(path_).status(),
                          ChangeKeystorePassphrase(path_, pass_, Passphrase("new one"))}) {
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_EQ(s.message(), path_ + ": damaged or truncated keystore (not valid JSON (at byte " +
                               std::to_string(cut + 1) + "))");
    EXPECT_LT(s.ToString().size(), 300u) << s.ToString();
    EXPECT_LE(testing::LongestHexRun(s.ToString()), 64u) << s.ToString();
    EXPECT_FALSE(IsWrongPassphrase(s)) << s.ToString();
  }
  ASSERT_TRUE(WriteFileAtomic(path_, "").ok());
  ExpectError(Status::Code::kCorruption, path_ + ": damaged or truncated keystore (not valid JSON");
}

TEST_F(KeystoreTest, OnlyASealThatDoesNotOpenIsAWrongPassphrase) {
  Status wrong = ReadKeystore(path_, Passphrase("not it")).status();
  EXPECT_TRUE(IsWrongPassphrase(wrong)) << wrong.ToString();
  EXPECT_TRUE(IsWrongPassphrase(wrong.WithContext("decrypt"))) << wrong.ToString();
  FlipHexDigit("ciphertext", 10);  // altered under the seal: indistinguishable, said so
  EXPECT_TRUE(IsWrongPassphrase(ReadKeystore(path_, pass_).status()));
  EXPECT_FALSE(IsWrongPassphrase(ReadKeystore(scratch_ / "nope.key", pass_).status()));
  Edit([](nlohmann::json& j) { j.erase("salt"); });
  EXPECT_FALSE(IsWrongPassphrase(ReadKeystore(path_, pass_).status()));
  EXPECT_FALSE(IsWrongPassphrase(Status::InvalidArgument(kWrong)));  // no file named
}

TEST_F(KeystoreTest, NotJson) {
  ASSERT_TRUE(WriteFileAtomic(path_, "-----BEGIN PRIVATE KEY-----\n").ok());
  ExpectError(Status::Code::kCorruption, path_ + ": damaged or truncated keystore (not valid JSON");
  ASSERT_TRUE(WriteFileAtomic(path_, "[1,2,3]").ok());
  ExpectError(Status::Code::kCorruption, "damaged or truncated keystore (not a JSON object)");
  ASSERT_TRUE(WriteFileAtomic(path_, R"({"format":"cipherstat-public-key","n":"abc"})").ok());
  ExpectError(Status::Code::kCorruption, path_ +
                                             ": not a cipherstat keystore (its field 'format' is "
                                             "\"cipherstat-public-key\")");
  EXPECT_FALSE(ReadKeystoreInfo(path_).ok());
}

TEST_F(KeystoreTest, MissingFile) {
  Result<SecretKey> sk = ReadKeystore(scratch_ / "nope.key", pass_);
  ASSERT_FALSE(sk.ok());
  EXPECT_EQ(sk.status().code(), Status::Code::kNotFound);
}

TEST_F(KeystoreTest, StructuralErrorsAreNamed) {
  Edit([](nlohmann::json& j) { j["format"] = "something-else"; });
  ExpectError(Status::Code::kCorruption,
              "not a cipherstat keystore (its field 'format' is \"something-else\")");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["version"] = 3; });
  ExpectError(Status::Code::kNotSupported,
              "keystore version 3 is not supported (this build reads 1 to 2)");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  // A downgrade to version 1 changes the associated data: refused like any altered byte.
  Edit([](nlohmann::json& j) {
    j["version"] = 1;
    j.erase("kind");
  });
  ExpectError(Status::Code::kInvalidArgument, kWrong);
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["kdf"] = "scrypt"; });
  ExpectError(Status::Code::kCorruption,
              "damaged or truncated keystore (field 'kdf' must be \"argon2id13\")");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j.erase("nonce"); });
  ExpectError(Status::Code::kCorruption, "missing field 'nonce'");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["nonce"] = "abcd"; });
  ExpectError(Status::Code::kCorruption, "field 'nonce' holds 2 bytes, expected 24");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["salt"] = "not hex!"; });
  ExpectError(Status::Code::kCorruption, "field 'salt' is not hexadecimal");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["ciphertext"] = "00"; });
  ExpectError(Status::Code::kCorruption, "field 'ciphertext' holds 1 bytes");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["fingerprint"] = "ABC"; });
  ExpectError(Status::Code::kCorruption, "field 'fingerprint' must be 64 lowercase hex digits");
}

TEST_F(KeystoreTest, KdfLimitsOutOfRangeAreRefusedBeforeDerivation) {
  Edit([](nlohmann::json& j) { j["opslimit"] = 1; });
  ExpectError(Status::Code::kCorruption, "opslimit 1 is below the minimum 2");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["opslimit"] = 1000000; });
  ExpectError(Status::Code::kCorruption, "opslimit 1000000 is above the maximum");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["memlimit"] = 1024; });
  ExpectError(Status::Code::kCorruption, "memlimit 1024 is below the minimum");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["memlimit"] = uint64_t{64} << 30; });
  ExpectError(Status::Code::kCorruption, "is above the maximum 4294967296");
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Edit([](nlohmann::json& j) { j["memlimit"] = -1; });
  ExpectError(Status::Code::kCorruption, "field 'memlimit' is not an unsigned integer");

  Status s = WriteKeystore(scratch_ / "weak.key", *sk_, pass_, KdfLimits{1, 1 << 20});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(PathExists(scratch_ / "weak.key"));
}

TEST_F(KeystoreTest, WriteRefusesEmptyPassphraseAndSmallKeys) {
  Status s = WriteKeystore(scratch_ / "empty.key", *sk_, Passphrase(""), FastKdfLimits());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("empty passphrase"), std::string::npos);
  Result<SecretKey> small = SecretKeyFromPrimes(
      *BigInt::FromHex("c465fd577e2f7c72569d21af0ff72ee8e799dc05eeec15f39e5d78560735b567e40235e2a"
                       "a598e1265072c9c216b95a6d71881eb1898253e650e006beb0b3e1b"),
      *BigInt::FromHex("dfdcb4d4c6b7aa6aaa7ec78490b54320048f5101ce45031a91360c20e12401d0668deaea8"
                       "75bce36b66e04360ef2b3fbc2972b3bb23d39a76382e406bcb63ea7"),
      /*allow_small=*/true);
  ASSERT_TRUE(small.ok());
  s = WriteKeystore(scratch_ / "small.key", *small, pass_, FastKdfLimits());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
}

TEST_F(KeystoreTest, InfoNeedsNoPassphrase) {
  Result<KeystoreInfo> info = ReadKeystoreInfo(path_);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->fingerprint, sk_->public_key().Fingerprint());
  EXPECT_EQ(info->limits.opslimit, FastKdfLimits().opslimit);
  EXPECT_EQ(info->limits.memlimit, FastKdfLimits().memlimit);
}

TEST_F(KeystoreTest, EachWriteUsesFreshSaltAndNonce) {
  Result<std::string> first = ReadFile(path_);
  ASSERT_TRUE(WriteKeystore(path_, *sk_, pass_, FastKdfLimits()).ok());
  Result<std::string> second = ReadFile(path_);
  ASSERT_TRUE(first.ok() && second.ok());
  nlohmann::json a = nlohmann::json::parse(*first), b = nlohmann::json::parse(*second);
  EXPECT_NE(a.at("salt"), b.at("salt"));
  EXPECT_NE(a.at("nonce"), b.at("nonce"));
  EXPECT_NE(a.at("ciphertext"), b.at("ciphertext"));
  EXPECT_EQ(a.at("fingerprint"), b.at("fingerprint"));
}

TEST(KeystorePassphraseTest, HoldsItsText) {
  Passphrase p("hunter2");
  EXPECT_EQ(p.view(), "hunter2");
  Passphrase empty("");
  EXPECT_TRUE(empty.view().empty());
}

// --- Owner keystores (Paillier + Ed25519 signing key) and passphrase changes ------------

class OwnerKeystoreTest : public KeystoreTest {
 protected:
  void SetUp() override {
    KeystoreTest::SetUp();
    owner_path_ = scratch_ / "owner.key";
    OwnerKey key;
    key.paillier = std::move(ReadKeystore(path_, pass_)).value();
    key.signing = SigningKey::Generate();
    verify_key_ = key.signing.verify_key();
    ASSERT_TRUE(WriteOwnerKeystore(owner_path_, key, pass_, FastKdfLimits()).ok());
  }
  void EditOwner(const std::function<void(nlohmann::json&)>& edit) {
    Result<std::string> text = ReadFile(owner_path_);
    ASSERT_TRUE(text.ok());
    nlohmann::json j = nlohmann::json::parse(*text);
    edit(j);
    ASSERT_TRUE(WriteFileAtomic(owner_path_, j.dump()).ok());
  }
  void ExpectOwnerWrong(const Passphrase& pass) {
    Result<OwnerKey> key = ReadOwnerKeystore(owner_path_, pass);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().message(), owner_path_ + ": " + kWrong);
  }

  std::string owner_path_;
  VerifyKey verify_key_;
};

TEST_F(OwnerKeystoreTest, RoundTripKeepsBothKeysAndShowsTheVerifyKey) {
  Result<OwnerKey> key = ReadOwnerKeystore(owner_path_, pass_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->paillier.p(), sk_->p());
  EXPECT_EQ(key->signing.verify_key(), verify_key_);
  const std::string sig = key->signing.Sign("manifest");
  EXPECT_TRUE(VerifySignature(verify_key_, "manifest", sig, "test").ok());
  EXPECT_FALSE(VerifySignature(verify_key_, "manifesT", sig, "test").ok());
  // The Paillier key alone, too.
  EXPECT_TRUE(ReadKeystore(owner_path_, pass_).ok());
  Result<KeystoreInfo> info = ReadKeystoreInfo(owner_path_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, "owner");
  EXPECT_EQ(info->verify_key, verify_key_.Hex());
  // A "paillier" keystore has no signing key: a clear error, not a crash.
  Result<OwnerKey> legacy = ReadOwnerKeystore(path_, pass_);
  EXPECT_EQ(legacy.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(legacy.status().ToString().find("no owner signing key"), std::string::npos);
}

TEST_F(OwnerKeystoreTest, EveryHeaderFieldIsAuthenticated) {
  const SigningKey other = SigningKey::Generate();
  EditOwner([&](nlohmann::json& j) { j["verify_key"] = other.verify_key().Hex(); });
  ExpectOwnerWrong(pass_);
  SetUp();
  EditOwner([&](nlohmann::json& j) { j["kind"] = "signing"; });
  Result<SigningKey> signing = ReadSigningKeystore(owner_path_, pass_);
  EXPECT_FALSE(signing.ok());
  SetUp();
  EditOwner([&](nlohmann::json& j) {
    std::string c = j.at("ciphertext").get<std::string>();
    c[c.size() / 2] = c[c.size() / 2] == '0' ? '1' : '0';  // one corrupted byte
    j["ciphertext"] = c;
  });
  ExpectOwnerWrong(pass_);
}

TEST_F(OwnerKeystoreTest, WrongPassphraseDecryptsNothing) {
  ExpectOwnerWrong(Passphrase("Correct horse battery staple"));
  Result<SigningKey> signing = ReadSigningKeystore(owner_path_, Passphrase("nope"));
  EXPECT_EQ(signing.status().message(), owner_path_ + ": " + kWrong);
}

TEST_F(OwnerKeystoreTest, ChangePassphraseOldFailsNewWorksNothingLeftBehind) {
  Result<std::string> before = ReadFile(owner_path_);
  ASSERT_TRUE(before.ok());
  const Passphrase fresh("a new and longer passphrase");
  // The old passphrase is verified first: a wrong one changes nothing.
  Status s = ChangeKeystorePassphrase(owner_path_, Passphrase("wrong"), fresh);
  EXPECT_EQ(s.message(), owner_path_ + ": " + kWrong);
  EXPECT_EQ(*ReadFile(owner_path_), *before);

  ASSERT_TRUE(ChangeKeystorePassphrase(owner_path_, pass_, fresh).ok());
  ExpectOwnerWrong(pass_);
  Result<OwnerKey> key = ReadOwnerKeystore(owner_path_, fresh);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->paillier.q(), sk_->q());
  EXPECT_EQ(key->signing.verify_key(), verify_key_);
  Result<KeystoreInfo> info = ReadKeystoreInfo(owner_path_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, "owner");
  EXPECT_EQ(info->limits.opslimit, FastKdfLimits().opslimit);
  struct stat st;
  ASSERT_EQ(::stat(owner_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Atomic replacement: only the two keystores in the folder, no temporary files.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(scratch_.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2u);
  EXPECT_FALSE(ChangeKeystorePassphrase(owner_path_, fresh, Passphrase("")).ok());
}

}  // namespace
}  // namespace cipherstat::crypto
