// The exact noise samplers against the distributions they claim to draw from.
//
// Statistical tests draw from libsodium, as production does, so they cannot be tuned to one
// lucky stream: SodiumUniform for the Bernoulli test, BufferedSodiumUniform (the same bytes,
// fewer system calls) where a test draws a million numbers. Each bound is 6 standard errors
// (P(|Z| > 6) = 2e-9 under the normal approximation) or a chi-square critical value at
// p = 1e-9; with about thirty such checks, the suite fails by chance with probability below
// 1e-7. Exact variances and fourth moments come from summing the probability mass functions.
#include "query/noise.h"

#include <gmp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

namespace cipherstat {
namespace {

using crypto::BigInt;

Rational Ratio(unsigned long numerator, unsigned long denominator) {
  return Rational::Make(BigInt(numerator), BigInt(denominator)).value();
}

std::vector<long> Draw(size_t n, const std::function<BigInt()>& sample) {
  std::vector<long> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(sample().ToLong().value());
  return out;
}

// A symmetric distribution over the integers: its normalised pmf and moments, by summation
// over |x| <= support (chosen so that what lies beyond is below 1e-300).
struct Pmf {
  std::function<double(long)> weight;  // unnormalised
  long support;

  double operator()(long x) const { return weight(x) / Total(); }
  double Total() const {
    double total = 0;
    for (long x = -support; x <= support; ++x) total += weight(x);
    return total;
  }
  double Moment(int k) const {
    double sum = 0;
    for (long x = -support; x <= support; ++x) sum += std::pow(double(x), k) * weight(x);
    return sum / Total();
  }
  double AtLeast(long k) const {
    double sum = 0;
    for (long x = k; x <= support; ++x) sum += weight(x);
    return sum / Total();
  }
};

Pmf LaplacePmf(double scale) {
  return {[scale](long x) { return std::exp(-std::abs(double(x)) / scale); },
          static_cast<long>(700 * scale) + 10};
}

Pmf GaussianPmf(double variance) {
  return {[variance](long x) { return std::exp(-double(x) * double(x) / (2 * variance)); },
          static_cast<long>(40 * std::sqrt(variance)) + 10};
}

// About the upper 1e-9 point of chi-square with `df` degrees of freedom: the Wilson–Hilferty
// cube approximation at z = 6.0 (standard normal upper tail 1e-9). For 9 to 50 degrees of
// freedom the exact tail beyond it is 3e-10 to 7e-10.
double ChiSquareCritical(int df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1 - a + 6.0 * std::sqrt(a), 3);
}

// Pearson's chi-square of `samples` against `pmf`: one bin per integer in (-k, k), and the
// two tails x <= -k and x >= k pooled, with k the largest that leaves 20 expected draws in
// each tail. Returns the statistic and sets *df.
double ChiSquare(const std::vector<long>& samples, const Pmf& pmf, int* df) {
  const double n = static_cast<double>(samples.size());
  long k = 1;
  while (n * pmf.AtLeast(k + 1) >= 20) ++k;
  std::map<long, double> observed;
  for (long x : samples) observed[std::clamp(x, -k, k)] += 1;
  double statistic = 0;
  for (long x = -k; x <= k; ++x) {
    const double expected = n * (std::abs(x) == k ? pmf.AtLeast(k) : pmf(x));
    const double diff = observed[x] - expected;
    statistic += diff * diff / expected;
  }
  *df = static_cast<int>(2 * k);  // 2k+1 bins, no fitted parameter
  return statistic;
}

double Mean(const std::vector<long>& samples) {
  double sum = 0;
  for (long x : samples) sum += double(x);
  return sum / double(samples.size());
}

double SecondMoment(const std::vector<long>& samples) {
  double sum = 0;
  for (long x : samples) sum += double(x) * double(x);
  return sum / double(samples.size());
}

// Mean within 6 standard errors of 0, and the sample variance (about the known mean 0)
// within 6 of its standard errors, sqrt((E[X^4] - Var^2)/n), of the exact variance.
void ExpectMoments(const std::vector<long>& samples, double variance, double fourth_moment) {
  const double n = double(samples.size());
  EXPECT_LE(std::abs(Mean(samples)), 6 * std::sqrt(variance / n));
  const double variance_error = 6 * std::sqrt((fourth_moment - variance * variance) / n);
  EXPECT_NEAR(SecondMoment(samples), variance, variance_error);
  // The bound is tight: a few percent of the variance at 10^5 draws or more.
  EXPECT_LT(variance_error / variance, 0.05);
}

// A reproducible stream (SplitMix64) standing in for libsodium.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform below `bound` by rejection from as many 64-bit words as it needs.
  BigInt Below(const BigInt& bound) {
    const size_t bits = bound.bits();
    std::vector<uint64_t> words((bits + 63) / 64);
    BigInt out;
    for (;;) {
      for (uint64_t& w : words) w = Next();
      words.back() >>= words.size() * 64 - bits;  // least significant word first
      mpz_import(out.get(), words.size(), -1, sizeof(uint64_t), 0, 0, words.data());
      if (out < bound) return out;
    }
  }
  UniformBelow Source() {
    return [this](const BigInt& bound) { return Below(bound); };
  }

 private:
  uint64_t state_;
};

// Hands out fixed values and records the bounds asked for, to follow a sampler step by step.
struct Script {
  std::deque<unsigned long> values;
  std::vector<unsigned long> bounds;
  UniformBelow Source() {
    return [this](const BigInt& bound) {
      bounds.push_back(static_cast<unsigned long>(bound.ToLong().value()));
      if (values.empty()) {
        ADD_FAILURE() << "the sampler drew more than the script holds";
        // bound - 1 fails every Bernoulli draw but a certain one, so the sampler still ends.
        return bound - BigInt(1);
      }
      BigInt out(values.front());
      values.pop_front();
      return out;
    };
  }
};

TEST(Noise, ParseEpsilonIsExact) {
  struct Case {
    const char* text;
    unsigned long numerator, denominator;
  };
  for (const Case& c : {Case{"0.1", 1, 10}, Case{"0.5", 1, 2}, Case{"0.30", 3, 10},
                        Case{"1.25", 5, 4}, Case{"2", 2, 1}, Case{"1e-3", 1, 1000},
                        Case{"0.000001", 1, 1000000}, Case{"12.5e1", 125, 1}}) {
    Result<Rational> epsilon = ParseEpsilon(c.text);
    ASSERT_TRUE(epsilon.ok()) << c.text << ": " << epsilon.status().ToString();
    EXPECT_EQ(*epsilon, Ratio(c.numerator, c.denominator)) << c.text;
  }
  EXPECT_EQ(ParseEpsilon("0.1")->ToString(), "1/10");
  EXPECT_EQ(ParseEpsilon("3")->ToString(), "3");
}

TEST(Noise, ParseEpsilonRejects) {
  for (const char* text : {"", "0", "0.0", "-0.5", "-1", "abc", "0.5x", " 0.5", "0.5 ", "inf",
                           "nan", "0x1p-1", "1/2", ".", "1e-19", "1e19", "0.1234567890123456789"}) {
    Result<Rational> epsilon = ParseEpsilon(text);
    ASSERT_FALSE(epsilon.ok()) << '"' << text << '"';
    EXPECT_EQ(epsilon.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(epsilon.status().message().find("epsilon"), std::string::npos) << text;
  }
  // The limits themselves are accepted.
  EXPECT_TRUE(ParseEpsilon("1e-18").ok());
  EXPECT_TRUE(ParseEpsilon("9e18").ok());
  EXPECT_TRUE(ParseEpsilon("0.123456789012345678").ok());
}

TEST(Noise, RationalIsReducedAndNonNegative) {
  EXPECT_EQ(Ratio(6, 4), Ratio(3, 2));
  EXPECT_EQ(Ratio(6, 4).numerator(), 3);
  EXPECT_EQ(Ratio(0, 7), Ratio(0, 1));
  EXPECT_TRUE(Ratio(0, 7).is_zero());
  EXPECT_EQ(Rational::Integer(5), Ratio(5, 1));
  EXPECT_DOUBLE_EQ(Ratio(1, 10).ToDouble(), 0.1);
  EXPECT_FALSE(Rational::Make(BigInt::FromLong(-1), BigInt(2)).ok());
  EXPECT_FALSE(Rational::Make(BigInt(1), BigInt(0)).ok());
  EXPECT_FALSE(Rational::Make(BigInt(1), BigInt::FromLong(-2)).ok());
}

TEST(Noise, ParametersFromPrivacyTerms) {
  // Δ/ε, exactly.
  EXPECT_EQ(DiscreteLaplace::ForSum(1, *ParseEpsilon("0.1"))->scale(), Ratio(10, 1));
  EXPECT_EQ(DiscreteLaplace::ForSum(3, *ParseEpsilon("0.4"))->scale(), Ratio(15, 2));
  EXPECT_EQ(DiscreteLaplace::ForSum(25, *ParseEpsilon("3"))->scale(), Ratio(25, 3));
  EXPECT_EQ(DiscreteLaplace::ForSum(uint64_t{1} << 52, *ParseEpsilon("0.5"))->scale(),
            Rational::Integer(kMaxNoiseScale));

  EXPECT_FALSE(DiscreteLaplace::ForSum(0, *ParseEpsilon("1")).ok());
  EXPECT_FALSE(DiscreteLaplace::ForSum(1, Ratio(0, 1)).ok());
  EXPECT_FALSE(DiscreteLaplace::ForSum(uint64_t{1} << 52, *ParseEpsilon("0.4")).ok());
  EXPECT_FALSE(DiscreteLaplace::ForSum(UINT64_MAX, *ParseEpsilon("1e-18")).ok());
  EXPECT_FALSE(DiscreteLaplace::WithScale(Ratio(0, 1)).ok());
  EXPECT_TRUE(DiscreteLaplace::WithScale(Ratio(1, 1000)).ok());
  EXPECT_FALSE(DiscreteLaplace::WithScale(Rational::Integer(kMaxNoiseScale + 1)).ok());

  EXPECT_FALSE(DiscreteGaussian::WithVariance(Ratio(0, 1)).ok());
  EXPECT_TRUE(DiscreteGaussian::WithVariance(Ratio(1, 3)).ok());
  Rational too_large = Rational::Make(BigInt::Power(2, 106) + BigInt(1), BigInt(1)).value();
  EXPECT_FALSE(DiscreteGaussian::WithVariance(too_large).ok());
  EXPECT_DOUBLE_EQ(DiscreteGaussian::WithVariance(Ratio(9, 4))->StandardDeviation(), 1.5);
}

TEST(Noise, BernoulliExpFrequencies) {
  const size_t n = 100000;
  for (const Rational& gamma : {Ratio(1, 3), Ratio(1, 1), Ratio(5, 2), Ratio(17, 4)}) {
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) hits += SampleBernoulliExp(gamma);
    const double p = std::exp(-gamma.ToDouble());
    EXPECT_NEAR(double(hits) / double(n), p, 6 * std::sqrt(p * (1 - p) / double(n)))
        << gamma.ToString();
  }
  // exp(0) = 1: never false.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(SampleBernoulliExp(Ratio(0, 1)));
}

// Algorithm 1 step by step: Bernoulli(gamma/k) is one uniform draw below d·k compared with n,
// and gamma > 1 splits into floor(gamma) factors exp(-1) and one exp(-remainder).
TEST(Noise, BernoulliExpFollowsAlgorithm1) {
  {
    // gamma = 1/2: successes at k = 1, 2 (draws 0 < 1 below 2, then below 4), failure at
    // k = 3 (5 >= 1 below 6): k = 3 is odd, so true.
    Script script{{0, 0, 5}, {}};
    EXPECT_TRUE(SampleBernoulliExp(Ratio(1, 2), script.Source()));
    EXPECT_EQ(script.bounds, (std::vector<unsigned long>{2, 4, 6}));
  }
  {
    Script script{{0, 3}, {}};  // failure at k = 2: even, false
    EXPECT_FALSE(SampleBernoulliExp(Ratio(1, 2), script.Source()));
    EXPECT_EQ(script.bounds, (std::vector<unsigned long>{2, 4}));
  }
  {
    // gamma = 7/3 = 2 + 1/3: two exp(-1) factors, each true here (k = 3: draws below 1, 2,
    // 3), then exp(-1/3) true at once (1 >= 1 below 3).
    Script script{{0, 0, 2, 0, 0, 2, 1}, {}};
    EXPECT_TRUE(SampleBernoulliExp(Ratio(7, 3), script.Source()));
    EXPECT_EQ(script.bounds, (std::vector<unsigned long>{1, 2, 3, 1, 2, 3, 3}));
  }
  {
    // The first exp(-1) factor false (k = 2) ends it: nothing more is drawn.
    Script script{{0, 1}, {}};
    EXPECT_FALSE(SampleBernoulliExp(Ratio(7, 3), script.Source()));
    EXPECT_EQ(script.bounds, (std::vector<unsigned long>{1, 2}));
  }
}

// Algorithm 2 step by step, scale 5/2: U = 3 below 5, accepted by exp(-3/5) (k = 1); V = 1
// (exp(-1) true, then false); X = 3 + 5·1 = 8, Y = floor(8/2) = 4; sign draw 0: negative.
TEST(Noise, DiscreteLaplaceFollowsAlgorithm2) {
  Script script{{3, 3, 0, 0, 2, 0, 1, 0}, {}};
  DiscreteLaplace laplace = DiscreteLaplace::WithScale(Ratio(5, 2)).value();
  EXPECT_EQ(laplace.Sample(script.Source()), BigInt::FromLong(-4));
  EXPECT_EQ(script.bounds, (std::vector<unsigned long>{5, 5, 1, 2, 3, 1, 2, 2}));
  EXPECT_TRUE(script.values.empty());
}

// The samplers take all their randomness from the source they are given: the same stream
// gives the same noise, so nothing else (a clock, a global generator) feeds them.
TEST(Noise, SamplersUseOnlyTheirSource) {
  DiscreteLaplace laplace = DiscreteLaplace::WithScale(Ratio(7, 3)).value();
  DiscreteGaussian gaussian = DiscreteGaussian::WithVariance(Ratio(5, 2)).value();
  auto run = [&](uint64_t seed) {
    SplitMix stream(seed);
    UniformBelow source = stream.Source();
    std::vector<BigInt> out;
    for (int i = 0; i < 500; ++i) {
      out.push_back(laplace.Sample(source));
      out.push_back(gaussian.Sample(source));
    }
    return out;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

// 200,000 draws at scale 2 (p = e^-1/2), shared by the tests below.
class NoiseLaplace : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DiscreteLaplace laplace = DiscreteLaplace::WithScale(Rational::Integer(2)).value();
    BufferedSodiumUniform random;
    samples_ = new std::vector<long>(Draw(200000, [&] { return laplace.Sample(random.Source()); }));
  }
  static void TearDownTestSuite() {
    delete samples_;
    samples_ = nullptr;
  }
  static std::vector<long>* samples_;
};
std::vector<long>* NoiseLaplace::samples_ = nullptr;

TEST_F(NoiseLaplace, MatchesPmf) {
  int df = 0;
  const double statistic = ChiSquare(*samples_, LaplacePmf(2), &df);
  EXPECT_GE(df, 20);  // the bins reach well into the tails
  EXPECT_LT(statistic, ChiSquareCritical(df)) << "df " << df;
}

TEST_F(NoiseLaplace, IsSymmetric) {
  std::map<long, double> count;
  for (long x : *samples_) count[x] += 1;
  double positive = 0, negative = 0;
  for (const auto& [x, c] : count) {
    if (x > 0) positive += c;
    if (x < 0) negative += c;
  }
  // Given n(k) + n(-k) = m, n(k) is Binomial(m, 1/2): 6 standard errors is 3·sqrt(m).
  EXPECT_LE(std::abs(positive - negative), 6 * std::sqrt(positive + negative));
  for (long k = 1; k <= 10; ++k) {
    const double m = count[k] + count[-k];
    EXPECT_LE(std::abs(count[k] - count[-k]), 6 * std::sqrt(m)) << "k " << k;
  }
}

TEST_F(NoiseLaplace, MomentsAtScale2) {
  DiscreteLaplace laplace = DiscreteLaplace::WithScale(Rational::Integer(2)).value();
  const double p = std::exp(-0.5);
  EXPECT_NEAR(laplace.Variance(), 2 * p / ((1 - p) * (1 - p)), 1e-12);
  ExpectMoments(*samples_, laplace.Variance(), LaplacePmf(2).Moment(4));
}

TEST_F(NoiseLaplace, HalfWidth95Covers) {
  DiscreteLaplace laplace = DiscreteLaplace::WithScale(Rational::Integer(2)).value();
  // P(|X| > 5) = 0.0622, P(|X| > 6) = 0.0377.
  ASSERT_EQ(laplace.HalfWidth95(), 6u);
  double outside = 0;
  for (long x : *samples_) outside += std::abs(x) > 6;
  const double n = double(samples_->size()),
               tail = 2 * std::pow(std::exp(-0.5), 7) / (1 + std::exp(-0.5));
  EXPECT_NEAR(outside / n, tail, 6 * std::sqrt(tail * (1 - tail) / n));
}

// A scale that is not an integer uses floor(X/d) with d > 1.
TEST(Noise, LaplaceMatchesPmfAtRationalScale) {
  DiscreteLaplace laplace = DiscreteLaplace::WithScale(Ratio(7, 3)).value();
  BufferedSodiumUniform random;
  std::vector<long> samples = Draw(200000, [&] { return laplace.Sample(random.Source()); });
  int df = 0;
  const double statistic = ChiSquare(samples, LaplacePmf(7.0 / 3), &df);
  EXPECT_LT(statistic, ChiSquareCritical(df)) << "df " << df;
  ExpectMoments(samples, laplace.Variance(), LaplacePmf(7.0 / 3).Moment(4));
}

// A sum of values in [0, 25] at ε = 0.1: scale 250.
TEST(Noise, LaplaceMomentsAtLargeScale) {
  DiscreteLaplace laplace = DiscreteLaplace::ForSum(25, *ParseEpsilon("0.1")).value();
  BufferedSodiumUniform random;
  std::vector<long> samples = Draw(100000, [&] { return laplace.Sample(random.Source()); });
  ExpectMoments(samples, laplace.Variance(), LaplacePmf(250).Moment(4));
}

// The closed forms behind the reported figures, against the pmf summed term by term.
TEST(Noise, LaplaceReportedFigures) {
  for (const Rational& scale : {Ratio(1, 2), Ratio(1, 1), Ratio(7, 3), Ratio(40, 1)}) {
    DiscreteLaplace laplace = DiscreteLaplace::WithScale(scale).value();
    const Pmf pmf = LaplacePmf(scale.ToDouble());
    EXPECT_NEAR(laplace.Variance(), pmf.Moment(2), 1e-9 * pmf.Moment(2)) << scale.ToString();
    EXPECT_DOUBLE_EQ(laplace.StandardDeviation(), std::sqrt(laplace.Variance()));
    const uint64_t k = laplace.HalfWidth95();
    const long ks = static_cast<long>(k);
    EXPECT_LE(2 * pmf.AtLeast(ks + 1), 0.05) << scale.ToString();
    if (k > 0) {
      EXPECT_GT(2 * pmf.AtLeast(ks), 0.05) << scale.ToString();
    }
  }
  // Scale 1/100: P(X != 0) is about 2e-44, so the interval is ±0.
  EXPECT_EQ(DiscreteLaplace::WithScale(Ratio(1, 100))->HalfWidth95(), 0u);
  // Large scales approach the continuous Laplace: half-width t·ln 20, variance 2t².
  DiscreteLaplace large = DiscreteLaplace::WithScale(Rational::Integer(1000000)).value();
  EXPECT_NEAR(double(large.HalfWidth95()), 1e6 * std::log(20.0), 2);
  EXPECT_NEAR(large.Variance(), 2e12, 1);
  DiscreteLaplace largest = DiscreteLaplace::WithScale(Rational::Integer(kMaxNoiseScale)).value();
  EXPECT_NEAR(double(largest.HalfWidth95()) / double(kMaxNoiseScale), std::log(20.0), 1e-12);
}

TEST(Noise, DiscreteGaussianMoments) {
  BufferedSodiumUniform random;
  for (const Rational& variance : {Ratio(1, 1), Ratio(5, 2), Ratio(100, 1)}) {
    DiscreteGaussian gaussian = DiscreteGaussian::WithVariance(variance).value();
    std::vector<long> samples = Draw(100000, [&] { return gaussian.Sample(random.Source()); });
    const Pmf pmf = GaussianPmf(variance.ToDouble());
    SCOPED_TRACE(variance.ToString());
    // Close to σ² (relative 2e-7 at σ² = 1), as the header says.
    EXPECT_NEAR(pmf.Moment(2), variance.ToDouble(), 1e-6 * variance.ToDouble());
    ExpectMoments(samples, pmf.Moment(2), pmf.Moment(4));
    if (variance == Ratio(5, 2)) {
      int df = 0;
      const double statistic = ChiSquare(samples, pmf, &df);
      EXPECT_LT(statistic, ChiSquareCritical(df)) << "df " << df;
    }
  }
}

// Uniform draws from the buffered source, for a small bound and for one wider than its
// buffer (so one draw spans refills).
TEST(Noise, BufferedSodiumIsUniform) {
  BufferedSodiumUniform random;
  const int n = 100000, bins = 10;
  std::vector<double> count(bins);
  for (int i = 0; i < n; ++i) count[random.Below(BigInt(bins)).ToLong().value()] += 1;
  double statistic = 0;
  for (double c : count) statistic += (c - n / bins) * (c - n / bins) / (n / bins);
  EXPECT_LT(statistic, ChiSquareCritical(bins - 1));

  const BigInt wide = BigInt::Power(2, 8 * 5000) - BigInt(3);
  const BigInt a = random.Below(wide), b = random.Below(wide);
  EXPECT_LT(a, wide);
  EXPECT_LT(b, wide);
  EXPECT_NE(a, b);
  EXPECT_GT(a.bits(), 8 * 5000 - 64u);  // below with probability 2^-64
}

// The uniform source is checked: a value outside [0, bound) would bias the noise unseen.
TEST(NoiseDeathTest, SourceOutOfRangeStops) {
  DiscreteLaplace laplace = DiscreteLaplace::WithScale(Rational::Integer(2)).value();
  UniformBelow broken = [](const BigInt& bound) { return bound; };
  EXPECT_DEATH(laplace.Sample(broken), "outside \\[0, bound\\)");
}

}  // namespace
}  // namespace cipherstat
