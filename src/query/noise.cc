#include "query/noise.h"

#include <gmp.h>
#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "encoding/fixed_point.h"

namespace cipherstat {
namespace {

using crypto::BigInt;

// A broken random source or a sampler called outside its domain would bias the noise, and
// biased noise weakens the privacy guarantee without any visible sign; stop instead.
[[noreturn]] void RequirementFailed(const char* what) {
  std::fprintf(stderr, "cipherstat: requirement violated: %s\n", what);
  std::abort();
}

BigInt Draw(const UniformBelow& uniform, const BigInt& bound) {
  BigInt u = uniform(bound);
  if (u.sign() < 0 || u >= bound) {
    RequirementFailed("noise: the uniform source returned a value outside [0, bound)");
  }
  return u;
}

// True with probability n/d. REQUIRES: 0 <= n <= d, d > 0.
bool Bernoulli(const BigInt& n, const BigInt& d, const UniformBelow& uniform) {
  return Draw(uniform, d) < n;
}

// True with probability exp(-n/d). REQUIRES: 0 <= n <= d, d > 0. Algorithm 1 of Canonne,
// Kamath and Steinke for gamma in [0, 1]: the first k with a failed Bernoulli(gamma/k) is odd
// with probability sum_k (-gamma)^(k-1)/(k-1)! = exp(-gamma). gamma/k stays a ratio of
// integers, n/(d·k), so no step rounds.
bool BernoulliExpAtMostOne(const BigInt& n, const BigInt& d, const UniformBelow& uniform) {
  // k stays small: reaching k needs k-1 successes, probability gamma^(k-1)/(k-1)!.
  unsigned long k = 1;
  BigInt d_times_k = d;
  while (Bernoulli(n, d_times_k, uniform)) {
    ++k;
    d_times_k += d;
  }
  return k % 2 == 1;
}

// True with probability exp(-n/d). REQUIRES: n >= 0, d > 0. exp(-gamma) = exp(-1)^floor(gamma)
// · exp(-(gamma - floor(gamma))), each factor drawn with BernoulliExpAtMostOne; the loop stops
// at the first failure, so a large gamma costs few draws.
bool BernoulliExp(const BigInt& n, const BigInt& d, const UniformBelow& uniform) {
  if (n <= d) return BernoulliExpAtMostOne(n, d, uniform);
  BigInt whole, remainder;
  mpz_fdiv_qr(whole.get(), remainder.get(), n.get(), d.get());
  const BigInt one(1);
  for (BigInt i; i < whole; i += one) {
    if (!BernoulliExpAtMostOne(one, one, uniform)) return false;
  }
  return BernoulliExpAtMostOne(remainder, d, uniform);
}

// Algorithm 2 of Canonne, Kamath and Steinke: the discrete Laplace of scale n/d.
// REQUIRES: n > 0, d > 0.
BigInt SampleDiscreteLaplace(const BigInt& n, const BigInt& d, const UniformBelow& uniform) {
  const BigInt one(1);
  const BigInt two(2);
  for (;;) {
    // X = U + n·V is geometric with P(X = x) ∝ exp(-x/n): U is its remainder modulo n, whose
    // weights exp(-u/n) come from rejection, and V its quotient, which is geometric with
    // ratio exp(-1).
    BigInt u = Draw(uniform, n);
    if (!BernoulliExpAtMostOne(u, n, uniform)) continue;
    unsigned long v = 0;  // P(V >= v) = exp(-v): it never nears overflow
    while (BernoulliExpAtMostOne(one, one, uniform)) ++v;
    BigInt x = std::move(u);
    mpz_addmul_ui(x.get(), n.get(), v);
    // floor(X/d) is geometric with ratio exp(-d/n): the magnitude of the noise.
    BigInt y;
    mpz_fdiv_q(y.get(), x.get(), d.get());
    const bool negative = Draw(uniform, two) == 0;
    // Both signs of 0 would give 0 twice its due weight; redraw one of them.
    if (negative && y.sign() == 0) continue;
    if (negative) mpz_neg(y.get(), y.get());
    return y;
  }
}

// value <= limit, exactly: numerator <= limit · denominator.
bool AtMost(const Rational& value, BigInt limit) {
  limit *= value.denominator();
  return value.numerator() <= limit;
}

}  // namespace

Result<Rational> Rational::Make(BigInt numerator, BigInt denominator) {
  if (denominator.sign() <= 0) return Status::InvalidArgument("rational: denominator must be > 0");
  if (numerator.sign() < 0) return Status::InvalidArgument("rational: value must be >= 0");
  BigInt gcd;
  mpz_gcd(gcd.get(), numerator.get(), denominator.get());
  mpz_divexact(numerator.get(), numerator.get(), gcd.get());
  mpz_divexact(denominator.get(), denominator.get(), gcd.get());
  return Rational(std::move(numerator), std::move(denominator));
}

Rational Rational::Integer(unsigned long value) { return Rational(BigInt(value), BigInt(1)); }

double Rational::ToDouble() const { return crypto::NearestDouble(numerator_, denominator_); }

std::string Rational::ToString() const {
  if (denominator_ == 1) return numerator_.ToDecimal();
  return numerator_.ToDecimal() + "/" + denominator_.ToDecimal();
}

std::optional<Rational> Rational::FromString(std::string_view text) {
  const size_t slash = text.find('/');
  auto digits = [](std::string_view s) -> std::optional<BigInt> {
    if (s.empty() || s.size() > 64) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    BigInt v;
    mpz_set_str(v.get(), std::string(s).c_str(), 10);  // digits only: cannot fail
    return v;
  };
  const std::optional<BigInt> n = digits(text.substr(0, slash));
  const std::optional<BigInt> d =
      slash == std::string_view::npos ? std::optional(BigInt(1)) : digits(text.substr(slash + 1));
  if (!n || !d) return std::nullopt;
  Result<Rational> r = Make(*n, *d);
  return r.ok() ? std::optional(std::move(r).value()) : std::nullopt;
}

Rational Rational::operator+(const Rational& other) const {
  return *Make(numerator_ * other.denominator_ + other.numerator_ * denominator_,
               denominator_ * other.denominator_);
}

std::strong_ordering Rational::operator<=>(const Rational& other) const {
  return numerator_ * other.denominator_ <=> other.numerator_ * denominator_;
}

Result<Rational> ParseEpsilon(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("privacy epsilon " + QuoteInput(text) + ": " + why);
  };
  Decimal decimal;
  if (!ParseDecimal(text, &decimal)) return invalid("not a decimal number such as 0.5");
  if (decimal.is_zero() || decimal.negative) return invalid("must be greater than 0");
  if (decimal.digits.size() > 18) return invalid("more than 18 significant digits");
  // The power of ten of the leading digit.
  const int64_t magnitude = decimal.exponent + static_cast<int64_t>(decimal.digits.size()) - 1;
  if (magnitude < -18 || magnitude > 18) return invalid("outside [1e-18, 1e19)");
  BigInt numerator;
  mpz_set_str(numerator.get(), decimal.digits.c_str(), 10);  // digits only: cannot fail
  BigInt denominator(1);
  if (decimal.exponent >= 0) {
    numerator *= BigInt::Power(10, static_cast<unsigned long>(decimal.exponent));
  } else {
    denominator = BigInt::Power(10, static_cast<unsigned long>(-decimal.exponent));
  }
  return Rational::Make(std::move(numerator), std::move(denominator));
}

const UniformBelow& SodiumUniform() {
  static const UniformBelow* const sodium =
      new UniformBelow([](const BigInt& bound) { return crypto::RandomBelow(bound); });
  return *sodium;
}

BufferedSodiumUniform::~BufferedSodiumUniform() { sodium_memzero(buffer_.data(), buffer_.size()); }

void BufferedSodiumUniform::Fill(unsigned char* out, size_t size) {
  while (size > 0) {
    if (next_ == buffer_.size()) {
      randombytes_buf(buffer_.data(), buffer_.size());
      next_ = 0;
    }
    const size_t n = std::min(size, buffer_.size() - next_);
    std::memcpy(out, buffer_.data() + next_, n);
    // Once used, the bytes decide a noise value; leave no copy of them behind.
    sodium_memzero(buffer_.data() + next_, n);
    next_ += n;
    out += n;
    size -= n;
  }
}

BigInt BufferedSodiumUniform::Below(const BigInt& bound) {
  return crypto::RandomBelow(bound, [this](unsigned char* out, size_t size) { Fill(out, size); });
}

bool SampleBernoulliExp(const Rational& gamma, const UniformBelow& uniform) {
  return BernoulliExp(gamma.numerator(), gamma.denominator(), uniform);
}

Result<DiscreteLaplace> DiscreteLaplace::WithScale(Rational scale) {
  if (scale.is_zero()) return Status::InvalidArgument("discrete Laplace: scale must be > 0");
  if (!AtMost(scale, BigInt(kMaxNoiseScale))) {
    return Status::InvalidArgument("discrete Laplace: scale " + scale.ToString() + " exceeds 2^53");
  }
  return DiscreteLaplace(std::move(scale));
}

Result<DiscreteLaplace> DiscreteLaplace::ForSum(uint64_t sensitivity, const Rational& epsilon) {
  if (sensitivity == 0) {
    return Status::InvalidArgument("discrete Laplace: sensitivity must be > 0");
  }
  if (epsilon.is_zero()) return Status::InvalidArgument("discrete Laplace: epsilon must be > 0");
  // sensitivity / (a/b) = sensitivity·b / a
  CS_ASSIGN_OR_RETURN(Rational scale, Rational::Make(BigInt(sensitivity) * epsilon.denominator(),
                                                     epsilon.numerator()));
  return WithScale(std::move(scale));
}

BigInt DiscreteLaplace::Sample(const UniformBelow& uniform) const {
  return SampleDiscreteLaplace(scale_.numerator(), scale_.denominator(), uniform);
}

double DiscreteLaplace::Variance() const {
  const double t = scale_.ToDouble();
  const double p = std::exp(-1 / t);
  const double one_minus_p = -std::expm1(-1 / t);  // 1 - p would cancel when p is near 1
  return 2 * p / (one_minus_p * one_minus_p);
}

double DiscreteLaplace::StandardDeviation() const { return std::sqrt(Variance()); }

uint64_t DiscreteLaplace::HalfWidth95() const {
  const long double t = scale_.ToDouble();
  const long double p = std::exp(-1 / t);
  auto tail = [&](long double k) { return 2 * std::exp(-(k + 1) / t) / (1 + p); };
  // tail(k) <= 0.05  <=>  k + 1 >= -t·log(0.025·(1 + p)); start there and correct the rounding.
  long double k = std::ceil(-t * std::log(0.025L * (1 + p))) - 1;
  if (k < 0) k = 0;
  while (k > 0 && tail(k - 1) <= 0.05L) k -= 1;
  while (tail(k) > 0.05L) k += 1;
  return static_cast<uint64_t>(k);
}

Result<DiscreteGaussian> DiscreteGaussian::WithVariance(Rational variance) {
  if (variance.is_zero()) {
    return Status::InvalidArgument("discrete Gaussian: variance must be > 0");
  }
  if (!AtMost(variance, BigInt(kMaxNoiseScale) * BigInt(kMaxNoiseScale))) {
    return Status::InvalidArgument("discrete Gaussian: variance " + variance.ToString() +
                                   " exceeds 2^106");
  }
  return DiscreteGaussian(std::move(variance));
}

double DiscreteGaussian::StandardDeviation() const { return std::sqrt(variance_.ToDouble()); }

BigInt DiscreteGaussian::Sample(const UniformBelow& uniform) const {
  const BigInt& a = variance_.numerator();  // σ² = a/b
  const BigInt& b = variance_.denominator();
  // t = floor(σ) + 1 = isqrt(floor(σ²)) + 1, exactly.
  BigInt t;
  mpz_fdiv_q(t.get(), a.get(), b.get());
  mpz_sqrt(t.get(), t.get());
  t += BigInt(1);
  const BigInt one(1);
  // (|Y| - σ²/t)² / (2σ²) = (|Y|·b·t - a)² / (2·a·b·t²): one ratio of integers.
  const BigInt bt = b * t;
  const BigInt denominator = BigInt(2) * a * bt * t;
  BigInt numerator;
  for (;;) {
    BigInt y = SampleDiscreteLaplace(t, one, uniform);
    mpz_abs(numerator.get(), y.get());
    numerator *= bt;
    numerator -= a;
    numerator *= numerator;
    if (BernoulliExp(numerator, denominator, uniform)) return y;
  }
}

}  // namespace cipherstat
