#include "crypto/paillier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "crypto/ifma.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat::crypto {
namespace {

BigInt Hex(const std::string& hex) {
  Result<BigInt> x = BigInt::FromHex(hex);
  EXPECT_TRUE(x.ok()) << hex;
  return std::move(x).value();
}

BigInt ModN(const PublicKey& pk, const BigInt& x) {
  BigInt out;
  mpz_mod(out.get(), x.get(), pk.n().get());
  return out;
}

BigInt Sum(const BigInt& a, const BigInt& b) {
  BigInt out;
  mpz_add(out.get(), a.get(), b.get());
  return out;
}

BigInt Product(const BigInt& a, const BigInt& b) {
  BigInt out;
  mpz_mul(out.get(), a.get(), b.get());
  return out;
}

BigInt Negate(const BigInt& a) {
  BigInt out;
  mpz_neg(out.get(), a.get());
  return out;
}

BigInt Signed(long v) {
  BigInt out;
  mpz_set_si(out.get(), v);
  return out;
}

BigInt MustDecrypt(const SecretKey& sk, const Ciphertext& c) {
  Result<BigInt> m = Decrypt(sk, c);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// Asserts that `expr` (a Status or Result) failed with Status::Code::k<expected_code> and a
// message containing `text`.
#define EXPECT_ERROR(expr, expected_code, text)                                           \
  do {                                                                                    \
    ::cipherstat::Status _s = (expr).status();                                            \
    EXPECT_FALSE(_s.ok()) << #expr;                                                       \
    EXPECT_EQ(_s.code(), ::cipherstat::Status::Code::expected_code) << _s.ToString();     \
    EXPECT_TRUE(Contains(_s, text)) << "'" << _s.message() << "' lacks '" << text << "'"; \
  } while (0)

BigInt PowMod(const BigInt& base, const BigInt& exponent, const BigInt& modulus) {
  BigInt out;
  mpz_powm(out.get(), base.get(), exponent.get(), modulus.get());
  return out;
}

// --- known-answer vectors from python-paillier ----------------------------------------------

void CheckKnownAnswers(int n_bits) {
  const std::string path = testing::SharedDir() + "/vectors/paillier_kat.json";
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) GTEST_SKIP() << "known-answer vectors not found: " << text.status().ToString();
  nlohmann::json kat = nlohmann::json::parse(*text);
  int keys = 0, encryptions = 0, sums = 0, lane_checks = 0;
  for (const nlohmann::json& key : kat.at("keys")) {
    if (key.at("n_bits").get<int>() != n_bits) continue;
    ++keys;
    Result<SecretKey> sk = SecretKeyFromPrimes(Hex(key.at("p")), Hex(key.at("q")),
                                               /*allow_small=*/n_bits < 2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    const PublicKey& pk = sk->public_key();
    ASSERT_EQ(pk.n(), Hex(key.at("n")));
    EXPECT_EQ(pk.bits(), n_bits);
    std::vector<BigInt> ms, rs, s_p, s_q;
    std::vector<Ciphertext> cs;
    for (const nlohmann::json& v : key.at("encryptions")) {
      SCOPED_TRACE("m = " + v.at("m").get<std::string>());
      const BigInt m = Hex(v.at("m")), r = Hex(v.at("r")), c = Hex(v.at("c"));
      EXPECT_EQ(EncryptWithR(pk, m, r).value, c);
      EXPECT_EQ(EncryptCrtWithR(*sk, m, r).value, c);
      EXPECT_TRUE(ValidateCiphertext(pk, Ciphertext{c}).ok());
      EXPECT_EQ(MustDecrypt(*sk, Ciphertext{c}), m);
      // The lane path's randomizer is s_p^p mod p² and s_q^q mod q²; with s_p = r^q mod p²
      // and s_q = r^p mod q² it is r^n, so the vector's ciphertext comes out.
      ms.push_back(m);
      rs.push_back(r);
      s_p.push_back(PowMod(r, sk->q(), sk->p() * sk->p()));
      s_q.push_back(PowMod(r, sk->p(), sk->q() * sk->q()));
      cs.push_back(Ciphertext{c});
      ++encryptions;
    }
    if (IfmaModulus::Available()) {
      for (size_t first = 0; first < ms.size(); first += 8) {
        const size_t count = std::min<size_t>(8, ms.size() - first);
        std::vector<Ciphertext> out(count);
        EncryptCrtLanes(*sk, std::span(ms).subspan(first, count),
                        std::span(s_p).subspan(first, count), std::span(s_q).subspan(first, count),
                        out);
        std::vector<Ciphertext> public_out(count);
        PublicEncryptor(pk).EncryptWithRs(std::span(ms).subspan(first, count),
                                          std::span(rs).subspan(first, count), public_out);
        for (size_t i = 0; i < count; ++i) {
          EXPECT_EQ(out[i].value, cs[first + i].value) << "lane " << i << " of " << count;
          EXPECT_EQ(public_out[i].value, cs[first + i].value) << "public, lane " << i;
          ++lane_checks;
        }
      }
    }
    Result<std::vector<BigInt>> decrypted = DecryptBatch(*sk, cs);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
    EXPECT_EQ(*decrypted, ms);
    for (const nlohmann::json& v : key.at("sums")) {
      const Ciphertext c1{Hex(v.at("c1"))}, c2{Hex(v.at("c2"))};
      const BigInt c = Hex(v.at("c")), m = Hex(v.at("m"));
      EXPECT_EQ(Add(pk, c1, c2).value, c);
      Ciphertext acc = c1;
      AddInPlace(pk, &acc, c2);
      EXPECT_EQ(acc.value, c);
      EXPECT_EQ(MustDecrypt(*sk, Ciphertext{c}), m);
      EXPECT_EQ(ModN(pk, Sum(MustDecrypt(*sk, c1), MustDecrypt(*sk, c2))), m);
      ++sums;
    }
  }
  EXPECT_EQ(keys, 2) << "expected two keys of " << n_bits << " bits in " << path;
  EXPECT_GT(encryptions, 0);
  EXPECT_GT(sums, 0);
  if (IfmaModulus::Available()) {
    EXPECT_EQ(lane_checks, encryptions);
  }
}

TEST(PaillierKatTest, Keys1024) { CheckKnownAnswers(1024); }
TEST(PaillierKatTest, Keys2048) { CheckKnownAnswers(2048); }
TEST(PaillierKatTest, Keys3072) { CheckKnownAnswers(3072); }

// --- batches: eight lanes of AVX-512 IFMA where the CPU has them ------------------------------

// Every batch size around a multiple of eight, edge plaintexts included, decrypts to what was
// encrypted, one by one and in a batch; equal plaintexts get different ciphertexts, with the
// secret key and with the public key alone.
TEST(PaillierBatchTest, EncryptCrtBatchAndDecryptBatchRoundTrip) {
  Result<SecretKey> sk = GenerateKey(2048);
  ASSERT_TRUE(sk.ok());
  const PublicKey& pk = sk->public_key();
  const BigInt n_minus_1 = pk.n() - BigInt(1);
  for (size_t size : {0u, 1u, 7u, 8u, 9u, 17u}) {
    std::vector<BigInt> ms;
    for (size_t i = 0; i < size; ++i) {
      ms.push_back(i == 0   ? n_minus_1
                   : i == 1 ? BigInt(0)
                   : i == 2 ? BigInt(5)
                            : RandomBelow(pk.n()));
    }
    std::vector<Ciphertext> cs(size);
    EncryptCrtBatch(*sk, ms, cs);
    for (size_t i = 0; i < size; ++i) {
      ASSERT_TRUE(ValidateCiphertext(pk, cs[i]).ok()) << i;
      EXPECT_EQ(MustDecrypt(*sk, cs[i]), ms[i]) << "size " << size << ", item " << i;
    }
    Result<std::vector<BigInt>> decrypted = DecryptBatch(*sk, cs);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
    EXPECT_EQ(*decrypted, ms) << "size " << size;
  }
  const PublicEncryptor public_only(pk);
  for (bool with_secret_key : {true, false}) {
    std::vector<BigInt> same(9, BigInt(42));
    std::vector<Ciphertext> cs(same.size());
    if (with_secret_key) {
      EncryptCrtBatch(*sk, same, cs);
    } else {
      public_only.EncryptBatch(same, cs);
    }
    for (size_t i = 0; i < cs.size(); ++i) {
      EXPECT_EQ(MustDecrypt(*sk, cs[i]), BigInt(42)) << with_secret_key << ", " << i;
      for (size_t j = 0; j < i; ++j) EXPECT_NE(cs[i].value, cs[j].value) << i << ", " << j;
    }
  }
}

TEST(PaillierBatchTest, DecryptBatchNamesTheInvalidCiphertext) {
  Result<SecretKey> sk = GenerateKey(2048);
  ASSERT_TRUE(sk.ok());
  std::vector<Ciphertext> cs(3);
  EncryptCrtBatch(*sk, std::vector<BigInt>{BigInt(1), BigInt(2), BigInt(3)}, cs);
  cs[2].value = sk->public_key().n_squared();
  EXPECT_ERROR(DecryptBatch(*sk, cs), kInvalidArgument, "ciphertext 3");
}

// --- homomorphic properties on a fresh 2048-bit key ----------------------------------------

class PaillierTest : public ::testing::Test {
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
  void SetUp() override { ASSERT_NE(sk_, nullptr) << "key generation failed"; }

  static const SecretKey& sk() { return *sk_; }
  static const PublicKey& pk() { return sk_->public_key(); }
  static BigInt RandomPlaintext() { return RandomBelow(pk().n()); }

  static SecretKey* sk_;
};
SecretKey* PaillierTest::sk_ = nullptr;

TEST_F(PaillierTest, SumOfCiphertextsDecryptsToSumModN) {
  for (int i = 0; i < 5; ++i) {
    const BigInt a = RandomPlaintext(), b = RandomPlaintext();
    const Ciphertext ca = Encrypt(pk(), a), cb = EncryptCrt(sk(), b);
    EXPECT_EQ(MustDecrypt(sk(), Add(pk(), ca, cb)), ModN(pk(), Sum(a, b)));
  }
}

TEST_F(PaillierTest, AddInPlaceAccumulates) {
  Ciphertext acc = EncryptedZero();
  BigInt expected(0);
  for (unsigned long v = 1; v <= 20; ++v) {
    AddInPlace(pk(), &acc, EncryptCrt(sk(), BigInt(v * 1000)));
    expected = Sum(expected, BigInt(v * 1000));
  }
  EXPECT_EQ(MustDecrypt(sk(), acc), expected);
}

TEST_F(PaillierTest, EncryptedZeroIsTheIdentity) {
  EXPECT_EQ(MustDecrypt(sk(), EncryptedZero()), BigInt(0));
  const Ciphertext c = Encrypt(pk(), BigInt(42));
  EXPECT_EQ(Add(pk(), c, EncryptedZero()).value, c.value);
}

TEST_F(PaillierTest, MulScalar) {
  for (int i = 0; i < 3; ++i) {
    const BigInt a = RandomPlaintext(), k = RandomPlaintext();
    EXPECT_EQ(MustDecrypt(sk(), MulScalar(pk(), Encrypt(pk(), a), k)), ModN(pk(), Product(k, a)));
  }
  const Ciphertext c = Encrypt(pk(), BigInt(7));
  EXPECT_EQ(MustDecrypt(sk(), MulScalar(pk(), c, BigInt(6))), BigInt(42));
  EXPECT_EQ(MustDecrypt(sk(), MulScalar(pk(), c, BigInt(0))), BigInt(0));
  // A negative scalar is taken mod n: −3·7 decodes as −21.
  EXPECT_EQ(DecodeSigned(pk(), MustDecrypt(sk(), MulScalar(pk(), c, Signed(-3)))), Signed(-21));
}

TEST_F(PaillierTest, AddPlain) {
  const BigInt a = RandomPlaintext(), b = RandomPlaintext();
  EXPECT_EQ(MustDecrypt(sk(), AddPlain(pk(), Encrypt(pk(), a), b)), ModN(pk(), Sum(a, b)));
  EXPECT_EQ(MustDecrypt(sk(), AddPlain(pk(), Encrypt(pk(), BigInt(10)), Signed(-4))), BigInt(6));
}

TEST_F(PaillierTest, RerandomizeChangesCiphertextNotPlaintext) {
  const BigInt m = RandomPlaintext();
  const Ciphertext c = EncryptCrt(sk(), m);
  const Ciphertext d = Rerandomize(pk(), c);
  EXPECT_NE(c.value, d.value);
  EXPECT_TRUE(ValidateCiphertext(pk(), d).ok());
  EXPECT_EQ(MustDecrypt(sk(), d), m);
}

TEST_F(PaillierTest, SignedWrapAround) {
  Result<BigInt> minus5 = EncodeSigned(pk(), Signed(-5));
  Result<BigInt> plus3 = EncodeSigned(pk(), Signed(3));
  ASSERT_TRUE(minus5.ok() && plus3.ok());
  const Ciphertext sum = Add(pk(), Encrypt(pk(), *minus5), EncryptCrt(sk(), *plus3));
  EXPECT_EQ(DecodeSigned(pk(), MustDecrypt(sk(), sum)), Signed(-2));
  for (long v : {0L, 1L, -1L, 123456789L, -987654321L}) {
    Result<BigInt> m = EncodeSigned(pk(), Signed(v));
    ASSERT_TRUE(m.ok());
    EXPECT_GE(mpz_sgn(m->get()), 0);
    EXPECT_EQ(DecodeSigned(pk(), *m), Signed(v)) << v;
  }
}

TEST_F(PaillierTest, SignedRangeBoundaries) {
  const BigInt& half = pk().half_n();  // n odd: the range is −half … +half
  const BigInt above = Sum(half, BigInt(1));
  Result<BigInt> top = EncodeSigned(pk(), half);
  Result<BigInt> bottom = EncodeSigned(pk(), Negate(half));
  ASSERT_TRUE(top.ok());
  ASSERT_TRUE(bottom.ok());
  EXPECT_EQ(DecodeSigned(pk(), *top), half);
  EXPECT_EQ(DecodeSigned(pk(), *bottom), Negate(half));
  EXPECT_ERROR(EncodeSigned(pk(), above), kInvalidArgument, "outside (-n/2, n/2]");
  EXPECT_ERROR(EncodeSigned(pk(), Negate(above)), kInvalidArgument, "outside (-n/2, n/2]");
  EXPECT_ERROR(EncodeSigned(pk(), pk().n()), kInvalidArgument, "outside");
  // Arithmetic past the top wraps to the bottom: the reason callers size their sums.
  Result<BigInt> one = EncodeSigned(pk(), BigInt(1));
  ASSERT_TRUE(one.ok());
  const Ciphertext wrapped = Add(pk(), Encrypt(pk(), *top), Encrypt(pk(), *one));
  EXPECT_EQ(DecodeSigned(pk(), MustDecrypt(sk(), wrapped)), Negate(half));
}

TEST_F(PaillierTest, BothEncryptionsDecryptAndValidate) {
  for (const BigInt& m :
       {BigInt(0), BigInt(1), RandomPlaintext(), BigInt(ModN(pk(), Sum(pk().n(), Signed(-1))))}) {
    const Ciphertext a = Encrypt(pk(), m);
    const Ciphertext b = EncryptCrt(sk(), m);
    EXPECT_TRUE(ValidateCiphertext(pk(), a).ok());
    EXPECT_TRUE(ValidateCiphertext(pk(), b).ok());
    EXPECT_EQ(MustDecrypt(sk(), a), m);
    EXPECT_EQ(MustDecrypt(sk(), b), m);
  }
}

TEST_F(PaillierTest, EncryptionsAreRandomized) {
  const BigInt m(12345);
  EXPECT_NE(Encrypt(pk(), m).value, Encrypt(pk(), m).value);
  EXPECT_NE(EncryptCrt(sk(), m).value, EncryptCrt(sk(), m).value);
}

TEST_F(PaillierTest, CrtWithRMatchesTextbookEncryption) {
  for (int i = 0; i < 3; ++i) {
    const BigInt m = RandomPlaintext();
    const BigInt r = RandomUnit(pk().n());
    EXPECT_EQ(EncryptCrtWithR(sk(), m, r).value, EncryptWithR(pk(), m, r).value);
  }
}

TEST_F(PaillierTest, PublicKeyAccessors) {
  EXPECT_EQ(pk().bits(), 2048);
  EXPECT_EQ(pk().ciphertext_bytes(), 512u);
  EXPECT_EQ(pk().plaintext_bits(), 2046u);
  EXPECT_EQ(pk().n_squared(), Product(pk().n(), pk().n()));
  const std::string fp = pk().Fingerprint();
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(fp, PublicKey(pk().n()).Fingerprint());
  EXPECT_NE(fp, PublicKey(Sum(pk().n(), BigInt(2))).Fingerprint());
}

TEST_F(PaillierTest, FingerprintIsSha256OfCanonicalEncoding) {
  // SHA-256("cipherstat-paillier-public-v1\0" || 0x0b) for the toy modulus n = 11.
  EXPECT_EQ(PublicKey(BigInt(11)).Fingerprint(),
            "0e6c64424edc17869f88fd0be27d0a46ef75934271a21a28d0595439899e650b")
      << "if this changed, every stored key name changed with it";
}

TEST_F(PaillierTest, KeyJsonRoundTrip) {
  const std::string pub = PublicKeyToJson(pk());
  EXPECT_NE(pub.find("\"format\":\"cipherstat-paillier-public\""), std::string::npos);
  Result<PublicKey> pk2 = PublicKeyFromJson(pub);
  ASSERT_TRUE(pk2.ok()) << pk2.status().ToString();
  EXPECT_EQ(pk2->n(), pk().n());
  EXPECT_EQ(pk2->Fingerprint(), pk().Fingerprint());

  std::string sec = SecretKeyToJson(sk());
  Result<SecretKey> sk2 = SecretKeyFromJson(sec);
  ASSERT_TRUE(sk2.ok()) << sk2.status().ToString();
  EXPECT_EQ(sk2->p(), sk().p());
  EXPECT_EQ(sk2->q(), sk().q());
  const BigInt m = RandomPlaintext();
  EXPECT_EQ(MustDecrypt(*sk2, Encrypt(pk(), m)), m);
  // Other JSON writers may add whitespace; the reader accepts it.
  nlohmann::json reformatted = nlohmann::json::parse(sec);
  EXPECT_TRUE(SecretKeyFromJson(reformatted.dump(2)).ok());
}

TEST_F(PaillierTest, CiphertextBytesRoundTrip) {
  const Ciphertext c = Encrypt(pk(), RandomPlaintext());
  const std::string fixed = CiphertextToFixedBytes(pk(), c);
  EXPECT_EQ(fixed.size(), 512u);
  Result<Ciphertext> c2 = CiphertextFromFixedBytes(pk(), fixed);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(c2->value, c.value);

  const std::string framed = SerializeCiphertext(pk(), c);
  EXPECT_EQ(framed.size(), 9u + 512u);
  EXPECT_EQ(framed.substr(0, 9), std::string("CSCT\x01\x00\x00\x02\x00", 9));
  Result<Ciphertext> c3 = ParseCiphertext(pk(), framed);
  ASSERT_TRUE(c3.ok()) << c3.status().ToString();
  EXPECT_EQ(c3->value, c.value);
  // A small value is left-padded to the fixed width.
  EXPECT_EQ(CiphertextToFixedBytes(pk(), EncryptedZero()), std::string(511, '\0') + '\x01');
}

// --- key generation ----------------------------------------------------------------------------

void CheckGeneratedKey(int bits) {
  Result<SecretKey> sk = GenerateKey(bits);
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  const BigInt &p = sk->p(), &q = sk->q(), &n = sk->public_key().n();
  EXPECT_EQ(n.bits(), static_cast<size_t>(bits));
  EXPECT_EQ(p.bits(), static_cast<size_t>(bits / 2));
  EXPECT_EQ(q.bits(), static_cast<size_t>(bits / 2));
  EXPECT_NE(p, q);
  EXPECT_EQ(Product(p, q), n);
  EXPECT_GT(mpz_probab_prime_p(p.get(), 30), 0);
  EXPECT_GT(mpz_probab_prime_p(q.get(), 30), 0);
  BigInt pm1, qm1, g;
  mpz_sub_ui(pm1.get(), p.get(), 1);
  mpz_sub_ui(qm1.get(), q.get(), 1);
  mpz_gcd(g.get(), n.get(), Product(pm1, qm1).get());
  EXPECT_EQ(g, BigInt(1));
  // Top two bits set on both primes.
  EXPECT_TRUE(mpz_tstbit(p.get(), bits / 2 - 2) && mpz_tstbit(q.get(), bits / 2 - 2));
  const BigInt m(31337);
  EXPECT_EQ(MustDecrypt(*sk, EncryptCrt(*sk, m)), m);
}

TEST(PaillierKeyGenTest, Generates2048) { CheckGeneratedKey(2048); }
TEST(PaillierKeyGenTest, Generates3072) { CheckGeneratedKey(3072); }

TEST(PaillierKeyGenTest, TwoKeysDiffer) {
  Result<SecretKey> a = GenerateKey(2048), b = GenerateKey(2048);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->public_key().n(), b->public_key().n());
}

TEST(PaillierKeyGenTest, RejectsUnsupportedSizes) {
  for (int bits : {1000, 1024, 2047, 2049, 0, -2048, 8192}) {
    EXPECT_ERROR(GenerateKey(bits), kInvalidArgument, "not supported");
  }
  EXPECT_TRUE(IsSupportedKeyBits(4096));
}

TEST(PaillierKeyGenTest, SecretKeyFromPrimesChecksItsInput) {
  Result<SecretKey> sk = GenerateKey(2048);
  ASSERT_TRUE(sk.ok());
  const BigInt &p = sk->p(), &q = sk->q();
  EXPECT_ERROR(SecretKeyFromPrimes(p, p), kInvalidArgument, "p equals q");
  BigInt composite = Sum(p, BigInt(2));
  while (mpz_probab_prime_p(composite.get(), 30) > 0) composite = Sum(composite, BigInt(2));
  EXPECT_ERROR(SecretKeyFromPrimes(composite, q), kInvalidArgument, "p is not prime");
  EXPECT_ERROR(SecretKeyFromPrimes(p, composite), kInvalidArgument, "q is not prime");
  EXPECT_ERROR(SecretKeyFromPrimes(Sum(p, BigInt(1)), q), kInvalidArgument, "p is not an odd");
  EXPECT_ERROR(SecretKeyFromPrimes(BigInt(2), BigInt(3), true), kInvalidArgument, "odd prime");
  EXPECT_ERROR(SecretKeyFromPrimes(p, BigInt(65537)), kInvalidArgument, "differ in length");
  // 1024-bit n from two 512-bit primes: only with allow_small.
  BigInt p512 =
      Hex("c465fd577e2f7c72569d21af0ff72ee8e799dc05eeec15f39e5d78560735b567e40235e2aa598e1265072c9c"
          "216b95a6d71881eb1898253e650e006beb0b3e1b");
  BigInt q512 =
      Hex("dfdcb4d4c6b7aa6aaa7ec78490b54320048f5101ce45031a91360c20e12401d0668deaea875bce36b66e0436"
          "0ef2b3fbc2972b3bb23d39a76382e406bcb63ea7");
  EXPECT_ERROR(SecretKeyFromPrimes(p512, q512), kInvalidArgument, "at least 2048");
  EXPECT_TRUE(SecretKeyFromPrimes(p512, q512, /*allow_small=*/true).ok());
}

// --- malformed input -----------------------------------------------------------------------

class PaillierMalformedTest : public ::testing::Test {
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
  void SetUp() override { ASSERT_NE(sk_, nullptr) << "key generation failed"; }
  static const SecretKey& sk() { return *sk_; }
  static const PublicKey& pk() { return sk_->public_key(); }

  // Checks that `value` is refused both on the way in (fixed bytes) and by Decrypt.
  static void ExpectRejected(const BigInt& value, const std::string& why) {
    SCOPED_TRACE(why);
    EXPECT_ERROR(CiphertextFromFixedBytes(pk(), value.ToBytes(pk().ciphertext_bytes())),
                 kInvalidArgument, "ciphertext: value outside Z*_{n^2}");
    EXPECT_ERROR(CiphertextFromFixedBytes(pk(), value.ToBytes(pk().ciphertext_bytes())),
                 kInvalidArgument, why);
    EXPECT_ERROR(Decrypt(sk(), Ciphertext{value}), kInvalidArgument,
                 "ciphertext: value outside Z*_{n^2}");
    EXPECT_FALSE(ValidateCiphertext(pk(), Ciphertext{value}).ok());
  }

  static SecretKey* sk_;
};
SecretKey* PaillierMalformedTest::sk_ = nullptr;

TEST_F(PaillierMalformedTest, FixedBytesWrongLength) {
  const std::string good = CiphertextToFixedBytes(pk(), Encrypt(pk(), BigInt(5)));
  EXPECT_ERROR(CiphertextFromFixedBytes(pk(), good.substr(0, 100)), kCorruption,
               "ciphertext: expected 512 bytes, got 100");
  EXPECT_ERROR(CiphertextFromFixedBytes(pk(), good.substr(0, 511)), kCorruption,
               "expected 512 bytes, got 511");
  EXPECT_ERROR(CiphertextFromFixedBytes(pk(), good + '\0'), kCorruption,
               "expected 512 bytes, got 513");
  EXPECT_ERROR(CiphertextFromFixedBytes(pk(), ""), kCorruption, "expected 512 bytes, got 0");
}

TEST_F(PaillierMalformedTest, ValuesOutsideTheGroup) {
  ExpectRejected(BigInt(0), "not positive");
  ExpectRejected(pk().n_squared(), "not below n^2");
  ExpectRejected(Sum(pk().n_squared(), BigInt(1)), "not below n^2");
  BigInt all_ones;  // 2^4096 − 1, the largest value the fixed width holds
  mpz_ui_pow_ui(all_ones.get(), 2, 4096);
  mpz_sub_ui(all_ones.get(), all_ones.get(), 1);
  ExpectRejected(all_ones, "not below n^2");
  ExpectRejected(pk().n(), "shares a factor with n");
  ExpectRejected(Product(sk().p(), RandomUnit(pk().n())), "shares a factor with n");
  ExpectRejected(Product(sk().q(), BigInt(3)), "shares a factor with n");
  EXPECT_ERROR(Decrypt(sk(), Ciphertext{Signed(-7)}), kInvalidArgument, "not positive");
}

TEST_F(PaillierMalformedTest, FramedCiphertext) {
  const std::string good = SerializeCiphertext(pk(), Encrypt(pk(), BigInt(5)));
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_ERROR(ParseCiphertext(pk(), bad_magic), kCorruption, "bad magic");
  std::string bad_version = good;
  bad_version[4] = 2;
  EXPECT_ERROR(ParseCiphertext(pk(), bad_version), kCorruption, "unsupported version 2");
  EXPECT_ERROR(ParseCiphertext(pk(), good.substr(0, 6)), kCorruption,
               "truncated header (6 of 9 bytes)");
  EXPECT_ERROR(ParseCiphertext(pk(), ""), kCorruption, "truncated header");
  EXPECT_ERROR(ParseCiphertext(pk(), good.substr(0, good.size() - 1)), kCorruption,
               "length field says 512 bytes but 511 follow");
  EXPECT_ERROR(ParseCiphertext(pk(), good + "x"), kCorruption, "but 513 follow");
  // Length field and body agree with each other, not with the key.
  std::string short_body = good.substr(0, 9 + 100);
  short_body[7] = 0;
  short_body[8] = 100;
  EXPECT_ERROR(ParseCiphertext(pk(), short_body), kCorruption, "expected 512 bytes, got 100");
  // A huge length field must not be trusted for an allocation.
  std::string huge = good;
  huge[5] = '\xff';
  EXPECT_ERROR(ParseCiphertext(pk(), huge), kCorruption, "length field says 4278190592 bytes");
  std::string zero = SerializeCiphertext(pk(), EncryptedZero());
  zero.back() = 0;
  EXPECT_ERROR(ParseCiphertext(pk(), zero), kInvalidArgument, "outside Z*_{n^2}");
}

TEST_F(PaillierMalformedTest, PublicKeyJson) {
  const std::string n = pk().n().ToHex();
  auto json = [](const std::string& format, const std::string& version, const std::string& nf) {
    return "{\"format\":" + format + ",\"version\":" + version + ",\"n\":" + nf + "}";
  };
  const std::string good_format = "\"cipherstat-paillier-public\"";
  ASSERT_TRUE(PublicKeyFromJson(json(good_format, "1", "\"" + n + "\"")).ok());

  EXPECT_ERROR(PublicKeyFromJson("not json"), kInvalidArgument, "public key: not valid JSON");
  EXPECT_ERROR(PublicKeyFromJson(""), kInvalidArgument, "public key: not valid JSON");
  EXPECT_ERROR(PublicKeyFromJson("[1,2]"), kInvalidArgument, "expected a JSON object");
  EXPECT_ERROR(PublicKeyFromJson(json("\"cipherstat-paillier-secret\"", "1", "\"" + n + "\"")),
               kInvalidArgument, "public key: field 'format' must be");
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "2", "\"" + n + "\"")), kInvalidArgument,
               "public key: unsupported version 2");
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "\"1\"", "\"" + n + "\"")), kInvalidArgument,
               "field 'version' is not an unsigned integer");
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "\"xyz\"")), kInvalidArgument,
               "public key: field 'n' is not hexadecimal");
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "\"0x" + n + "\"")), kInvalidArgument,
               "field 'n' is not hexadecimal");
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "\"-" + n + "\"")), kInvalidArgument,
               "field 'n' is not hexadecimal");
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "12345")), kInvalidArgument,
               "field 'n' is not a string");
  EXPECT_ERROR(PublicKeyFromJson(R"({"format":"cipherstat-paillier-public","version":1})"),
               kInvalidArgument, "missing field 'n'");
  const std::string even = Sum(pk().n(), BigInt(1)).ToHex();
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "\"" + even + "\"")), kInvalidArgument,
               "public key: n is even");
  const std::string small = n.substr(0, 128);  // 512 bits, top nibble nonzero
  ASSERT_EQ(Hex(small).bits(), 512u);
  BigInt small_odd = Hex(small);
  mpz_setbit(small_odd.get(), 0);
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "\"" + small_odd.ToHex() + "\"")),
               kInvalidArgument, "public key: n has 512 bits; at least 2048 are required");
  EXPECT_TRUE(
      PublicKeyFromJson(json(good_format, "1", "\"" + small_odd.ToHex() + "\""), true).ok());
  const std::string huge = "f" + std::string(16384 / 4, '1');
  EXPECT_ERROR(PublicKeyFromJson(json(good_format, "1", "\"" + huge + "\"")), kInvalidArgument,
               "at most 16384 are supported");
}

TEST_F(PaillierMalformedTest, SecretKeyJson) {
  const std::string n = pk().n().ToHex(), p = sk().p().ToHex(), q = sk().q().ToHex();
  auto json = [](const std::string& nn, const std::string& pp, const std::string& qq) {
    return R"({"format":"cipherstat-paillier-secret","version":1,"n":")" + nn + R"(","p":")" + pp +
           R"(","q":")" + qq + "\"}";
  };
  ASSERT_TRUE(SecretKeyFromJson(json(n, p, q)).ok());

  // p·q mismatch: n of another key.
  Result<SecretKey> other = GenerateKey(2048);
  ASSERT_TRUE(other.ok());
  EXPECT_ERROR(SecretKeyFromJson(json(other->public_key().n().ToHex(), p, q)), kInvalidArgument,
               "secret key: p*q does not equal n");
  // Composite p of the same length, with n adjusted so only primality is wrong.
  BigInt composite = Sum(sk().p(), BigInt(2));
  while (mpz_probab_prime_p(composite.get(), 30) > 0) composite = Sum(composite, BigInt(2));
  const BigInt bad_n = Product(composite, sk().q());
  EXPECT_ERROR(SecretKeyFromJson(json(bad_n.ToHex(), composite.ToHex(), q)), kInvalidArgument,
               "secret key: p is not prime");
  EXPECT_ERROR(SecretKeyFromJson(json(n, "zz", q)), kInvalidArgument,
               "secret key: field 'p' is not hexadecimal");
  EXPECT_ERROR(SecretKeyFromJson(R"({"format":"cipherstat-paillier-public","version":1})"),
               kInvalidArgument, "field 'format' must be");
  EXPECT_ERROR(SecretKeyFromJson(R"({"format":"cipherstat-paillier-secret","version":2})"),
               kInvalidArgument, "unsupported version 2");
  EXPECT_ERROR(SecretKeyFromJson(R"({"format":"cipherstat-paillier-secret","version":1})"),
               kInvalidArgument, "missing field 'n'");
  EXPECT_ERROR(SecretKeyFromJson("nonsense"), kInvalidArgument, "secret key: not valid JSON");

  // Parse errors name a byte offset, never the secret text around it.
  std::string broken = json(n, p, q);
  broken.insert(broken.find(q) + 10, "\"");
  Result<SecretKey> r = SecretKeyFromJson(broken);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "at byte")) << r.status().message();
  EXPECT_FALSE(Contains(r.status(), q.substr(0, 10))) << r.status().message();
  EXPECT_FALSE(Contains(r.status(), p.substr(0, 10))) << r.status().message();
}

}  // namespace
}  // namespace cipherstat::crypto
