// Exact noise for differential privacy: the discrete Laplace and discrete Gaussian
// distributions over the integers, sampled without any floating-point arithmetic.
//
// Why exact: noise drawn as a double (inverse CDF of a continuous Laplace, then rounded)
// leaves holes and uneven steps in the set of values it can take, and a released
// value + noise can then reveal the value itself (Mironov, "On Significance of the Least
// Significant Bits for Differential Privacy", CCS 2012). Here every parameter is a rational
// number held in BigInt, every random choice is a uniform integer below an integer bound, and
// the samplers are Algorithms 1–3 of Canonne, Kamath and Steinke, "The Discrete Gaussian for
// Differential Privacy" (NeurIPS 2020, arXiv:2004.00010), which output each integer with
// exactly the probability the distribution assigns it. Floating point appears only in the
// figures reported beside a release (standard deviation, 95% interval), never in a draw.
//
// Randomness comes from libsodium: SodiumUniform by default, BufferedSodiumUniform for many
// draws at once. Every sampler takes its source as a UniformBelow, so tests can also replay a
// fixed stream and follow an algorithm step by step.
//
// Not addressed here: the samplers' running time depends on the value drawn, so a party that
// can time the sampling learns something about the noise. Sampling happens on the data
// owner's machine, after decryption, where no one else measures it.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/bigint.h"
#include "util/status.h"

namespace cipherstat {

// A non-negative rational number, kept in lowest terms (so equal values have equal fields).
class Rational {
 public:
  // numerator/denominator. InvalidArgument unless numerator >= 0 and denominator > 0.
  static Result<Rational> Make(crypto::BigInt numerator, crypto::BigInt denominator);
  static Rational Integer(unsigned long value);

  const crypto::BigInt& numerator() const { return numerator_; }
  const crypto::BigInt& denominator() const { return denominator_; }
  bool is_zero() const { return numerator_.sign() == 0; }
  // The nearest double, for reports (crypto::NearestDouble).
  double ToDouble() const;
  // "1/10", or "3" for an integer.
  std::string ToString() const;
  // The inverse of ToString: "n" or "n/d" in decimal digits (d > 0); nullopt for anything
  // else, or more than 64 digits on a side.
  static std::optional<Rational> FromString(std::string_view text);

  // Exact sum and order (the privacy budget adds them up: 0.1 + 0.2 is 3/10).
  Rational operator+(const Rational& other) const;
  std::strong_ordering operator<=>(const Rational& other) const;
  bool operator==(const Rational& other) const = default;

 private:
  Rational(crypto::BigInt numerator, crypto::BigInt denominator)
      : numerator_(std::move(numerator)), denominator_(std::move(denominator)) {}
  crypto::BigInt numerator_;
  crypto::BigInt denominator_;
};

// The privacy parameter ε written as a decimal ("0.5", "2", "1e-3"; the syntax of
// ParseDecimal in encoding/fixed_point.h), read exactly: "0.1" is 1/10, not the double
// nearest it. InvalidArgument for anything that is not a number, for ε <= 0, for more than
// 18 significant digits, and for ε outside [10^-18, 10^19) — far beyond any meaningful ε,
// and the bound keeps a mistyped exponent from building a huge number.
Result<Rational> ParseEpsilon(std::string_view text);

// Where the samplers get their randomness: a uniformly random integer in [0, bound), for a
// bound > 0. A sampler stops the process if the source returns anything outside that range,
// since biased noise would silently weaken the privacy guarantee.
using UniformBelow = std::function<crypto::BigInt(const crypto::BigInt& bound)>;

// The production source: crypto::RandomBelow, libsodium's CSPRNG (never seeded by the caller,
// never from the clock). Thread-safe; holds no state.
const UniformBelow& SodiumUniform();

// The same libsodium randomness, read 4 KiB at a time, for drawing many samples: libsodium
// 1.0.18 on Linux makes one getrandom system call per request, which is most of the cost of
// a draw (a uniform draw needs one or two bytes). Each byte is wiped as it is handed out, the
// rest when the object is destroyed. One object per thread; and since a forked child would
// repeat its parent's buffered bytes, never use one on both sides of a fork().
class BufferedSodiumUniform {
 public:
  BufferedSodiumUniform() = default;
  ~BufferedSodiumUniform();
  BufferedSodiumUniform(const BufferedSodiumUniform&) = delete;
  BufferedSodiumUniform& operator=(const BufferedSodiumUniform&) = delete;

  crypto::BigInt Below(const crypto::BigInt& bound);
  // A UniformBelow drawing from this object; valid while the object lives.
  UniformBelow Source() {
    return [this](const crypto::BigInt& bound) { return Below(bound); };
  }

 private:
  void Fill(unsigned char* out, size_t size);
  std::array<unsigned char, 4096> buffer_;
  size_t next_ = buffer_.size();  // empty: the first draw fills it
};

// True with probability exactly exp(-gamma), for any rational gamma >= 0. Algorithm 1 of
// Canonne, Kamath and Steinke: for gamma <= 1, count the successes of Bernoulli(gamma/k) for
// k = 1, 2, … until the first failure, and return whether the count is even (the series of
// exp(-gamma)); for gamma > 1, floor(gamma) draws of Bernoulli(exp(-1)) and one of
// Bernoulli(exp(-(gamma - floor(gamma)))) must all succeed. Expected uniform draws: O(1),
// whatever gamma (a larger gamma fails sooner).
bool SampleBernoulliExp(const Rational& gamma, const UniformBelow& uniform = SodiumUniform());

// The largest noise scale and Gaussian standard deviation accepted: 2^53 units. The reported
// standard deviation and interval are doubles, which hold every integer up to 2^53; noise
// beyond that would swamp any released figure anyway.
inline constexpr uint64_t kMaxNoiseScale = uint64_t{1} << 53;

// The discrete Laplace distribution with scale t > 0: P(X = x) = (1-p)/(1+p) · p^|x| for
// every integer x, where p = exp(-1/t).
//
// Added to an integer-valued query whose value changes by at most Δ between neighbouring
// datasets, discrete Laplace noise of scale Δ/ε gives ε-differential privacy (pure DP), with
// no rounding gap between the analysis and the code (Canonne, Kamath and Steinke, §2 and
// Algorithm 2; Ghosh, Roughgarden and Sundararajan 2009 for the geometric mechanism).
class DiscreteLaplace {
 public:
  // InvalidArgument unless 0 < scale <= kMaxNoiseScale.
  static Result<DiscreteLaplace> WithScale(Rational scale);

  // The noise for a sum (or count) whose value moves by at most `sensitivity` fixed-point
  // units when one record changes, released with privacy `epsilon`: scale sensitivity/ε.
  // The caller decides the sensitivity and must clamp each record to make it true: a sum of
  // values clamped to [lo, hi] moves by hi - lo when a record is replaced, by
  // max(|lo|, |hi|) when one is added or removed; a count moves by 1. InvalidArgument when
  // sensitivity or ε is zero, or the scale exceeds kMaxNoiseScale.
  static Result<DiscreteLaplace> ForSum(uint64_t sensitivity, const Rational& epsilon);

  const Rational& scale() const { return scale_; }

  // One draw, exact. Algorithm 2 of Canonne, Kamath and Steinke for scale t = n/d: a
  // geometric variable of rate 1/n built from a uniform remainder U in [0, n) accepted with
  // probability exp(-U/n) and a count V of Bernoulli(exp(-1)) successes, X = U + n·V; then
  // Y = floor(X/d) is geometric with p = exp(-d/n), given a uniform sign, and drawn again
  // for "-0" so that zero is not counted twice. Expected uniform draws: O(1) for any scale.
  crypto::BigInt Sample(const UniformBelow& uniform = SodiumUniform()) const;

  // For reports only (floating point; relative error about 1e-15):
  // Var X = 2p / (1-p)^2 with p = exp(-1/t).
  double Variance() const;
  double StandardDeviation() const;
  // The half-width of the two-sided 95% interval: the smallest integer k >= 0 with
  // P(|X| > k) <= 0.05, from P(|X| > k) = 2·exp(-(k+1)/t) / (1 + exp(-1/t)). So the noisy
  // value lies within ±k of the true one at least 95% of the time. Computed in long double
  // and checked at k-1 and k; only a tail probability within rounding of 0.05 could be
  // placed on the wrong side.
  uint64_t HalfWidth95() const;

 private:
  explicit DiscreteLaplace(Rational scale) : scale_(std::move(scale)) {}
  Rational scale_;
};

// The discrete Gaussian distribution with parameter σ² > 0: P(X = x) proportional to
// exp(-x²/(2σ²)) over the integers. Its variance is below σ² (Canonne, Kamath and Steinke),
// but for σ² >= 1 by less than 1e-6 relative (2e-7 at σ² = 1, under 1e-14 from σ² = 2), so
// σ is what a report gives as its standard deviation.
//
// Added to an integer query of sensitivity Δ it gives (Δ²/(2σ²))-zero-concentrated
// differential privacy (ibid.); unlike the Laplace, it is not pure DP.
class DiscreteGaussian {
 public:
  // InvalidArgument unless 0 < variance <= kMaxNoiseScale².
  static Result<DiscreteGaussian> WithVariance(Rational variance);

  const Rational& variance() const { return variance_; }
  // σ, for reports (floating point; see above for how close it is to the true deviation).
  double StandardDeviation() const;

  // One draw, exact. Algorithm 3 of Canonne, Kamath and Steinke: with t = floor(σ) + 1
  // (computed exactly as the integer square root of floor(σ²)), draw Y from the discrete
  // Laplace of scale t and keep it with probability exp(-(|Y| - σ²/t)² / (2σ²)), a rational
  // exponent. The expected number of attempts is bounded whatever σ (ibid.).
  crypto::BigInt Sample(const UniformBelow& uniform = SodiumUniform()) const;

 private:
  explicit DiscreteGaussian(Rational variance) : variance_(std::move(variance)) {}
  Rational variance_;
};

}  // namespace cipherstat
