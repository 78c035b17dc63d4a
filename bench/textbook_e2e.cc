// The textbook Paillier baseline for bench/e2e.sh: one ciphertext per value,
// c = g^m · r^n mod n² (g = n + 1, both powers with mpz_powm), sums with mpz_mul + mpz_mod,
// on the same number of threads as cipherstat. Runs on a sample and prints per-value rates:
//   textbook_e2e [--bits 2048] [--threads T] [--encrypt VALUES] [--add VALUES]
// Output lines: "textbook_encrypt_values_per_s X", "textbook_add_values_per_s Y" (in-memory
// products only) and "textbook_add_io_values_per_s Z" (with the per-value reading work a
// stored dataset costs: SHA-256 of the text, base64 decoding, import).
#include <gmp.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "crypto/init.h"
#include "crypto/paillier.h"

namespace {

using cipherstat::crypto::BigInt;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Runs `work(thread, begin, end)` over [0, count) split across threads; returns seconds.
template <typename F>
double Parallel(int threads, size_t count, F work) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    const size_t begin = count * static_cast<size_t>(t) / static_cast<size_t>(threads);
    const size_t end = count * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
    pool.emplace_back(work, t, begin, end);
  }
  for (auto& th : pool) th.join();
  return Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  int bits = 2048, threads = static_cast<int>(std::thread::hardware_concurrency());
  size_t encrypt_values = 400, add_values = 200000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (flag == "--bits")
      bits = static_cast<int>(value);
    else if (flag == "--threads")
      threads = static_cast<int>(value);
    else if (flag == "--encrypt")
      encrypt_values = static_cast<size_t>(value);
    else if (flag == "--add")
      add_values = static_cast<size_t>(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (threads < 1) threads = 1;
  if (!cipherstat::crypto::Init().ok()) return 2;
  auto sk = cipherstat::crypto::GenerateKey(bits);
  if (!sk.ok()) return 2;
  const BigInt& n = sk->public_key().n();
  const BigInt& n2 = sk->public_key().n_squared();
  BigInt g = n;
  mpz_add_ui(g.get(), g.get(), 1);

  // Encryption of small values (what a slot holds: a count, a measurement, its square).
  std::vector<BigInt> ciphertexts(encrypt_values);
  const double enc_s = Parallel(threads, encrypt_values, [&](int, size_t begin, size_t end) {
    BigInt gm, rn, m;
    for (size_t i = begin; i < end; ++i) {
      mpz_set_ui(m.get(), static_cast<unsigned long>(i * 7919 % 100000));
      const BigInt r = cipherstat::crypto::RandomUnit(n);
      mpz_powm(gm.get(), g.get(), m.get(), n2.get());
      mpz_powm(rn.get(), r.get(), n.get(), n2.get());
      mpz_mul(ciphertexts[i].get(), gm.get(), rn.get());
      mpz_mod(ciphertexts[i].get(), ciphertexts[i].get(), n2.get());
    }
  });

  // Homomorphic sums: each thread folds its share of `add_values` ciphertexts into one sum.
  std::vector<BigInt> sums(static_cast<size_t>(threads), BigInt(1));
  const double add_s = Parallel(threads, add_values, [&](int t, size_t begin, size_t end) {
    BigInt& acc = sums[static_cast<size_t>(t)];
    for (size_t i = begin; i < end; ++i) {
      mpz_mul(acc.get(), acc.get(), ciphertexts[i % encrypt_values].get());
      mpz_mod(acc.get(), acc.get(), n2.get());
    }
  });
  // The same sums as a textbook *system* would run them over stored data: per value, hash the
  // stored text (SHA-256, like segment verification), base64-decode it, import, multiply.
  std::vector<std::string> stored(encrypt_values);
  for (size_t i = 0; i < encrypt_values; ++i) {
    std::string bytes = ciphertexts[i].ToBytes(sk->public_key().ciphertext_bytes());
    stored[i].resize(
        sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING));
    sodium_bin2base64(stored[i].data(), stored[i].size(),
                      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    stored[i].resize(stored[i].size() - 1);  // the terminating NUL
  }
  std::vector<BigInt> io_sums(static_cast<size_t>(threads), BigInt(1));
  const double add_io_s = Parallel(threads, add_values, [&](int t, size_t begin, size_t end) {
    BigInt& acc = io_sums[static_cast<size_t>(t)];
    BigInt c;
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    std::vector<unsigned char> raw(sk->public_key().ciphertext_bytes() + 1);
    for (size_t i = begin; i < end; ++i) {
      const std::string& text = stored[i % encrypt_values];
      crypto_hash_sha256_update(&sha, reinterpret_cast<const unsigned char*>(text.data()),
                                text.size());
      size_t len = 0;
      if (sodium_base642bin(raw.data(), raw.size(), text.data(), text.size(), nullptr, &len,
                            nullptr, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
        std::abort();
      mpz_import(c.get(), len, 1, 1, 1, 0, raw.data());
      mpz_mul(acc.get(), acc.get(), c.get());
      mpz_mod(acc.get(), acc.get(), n2.get());
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha, digest);
  });
  if (io_sums[0] != sums[0] && threads == 1) std::printf("sums differ\n");

  // Keep the result observable so nothing is optimized away.
  if (mpz_sgn(sums[0].get()) == 0) std::printf("impossible\n");

  std::printf("textbook_threads %d\n", threads);
  std::printf("textbook_encrypt_sample_values %zu\n", encrypt_values);
  std::printf("textbook_encrypt_values_per_s %.1f\n", static_cast<double>(encrypt_values) / enc_s);
  std::printf("textbook_add_sample_values %zu\n", add_values);
  std::printf("textbook_add_values_per_s %.1f\n", static_cast<double>(add_values) / add_s);
  std::printf("textbook_add_io_values_per_s %.1f\n", static_cast<double>(add_values) / add_io_s);
  return 0;
}
