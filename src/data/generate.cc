#include "data/generate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>

#include "util/file.h"

namespace cipherstat {

namespace {

constexpr uint64_t kProgressEvery = 100000;
constexpr size_t kFlushBytes = 1 << 20;

// Draws from std::mt19937_64 with our own transforms: the <random> distributions are
// implementation-defined, and a seed must give the same cohort with any standard library.
class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Standard normal (Box–Muller; 1 - U keeps the logarithm's argument in (0, 1]).
  double Normal() {
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Index i with probability weights[i] (weights sum to 1).
  template <size_t N>
  size_t Pick(const double (&weights)[N]) {
    double u = Uniform();
    for (size_t i = 0; i + 1 < N; ++i) {
      if (u < weights[i]) return i;
      u -= weights[i];
    }
    return N - 1;
  }
  // Integer uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Uniform() * static_cast<double>(hi - lo + 1));
  }

 private:
  std::mt19937_64 engine_;
};

// Unequal site sizes, as in a real multi-country cohort.
const char* const kSites[] = {"Kampala", "Lusaka", "Durban", "Lilongwe", "Harare"};
constexpr double kSiteWeights[] = {0.32, 0.26, 0.18, 0.14, 0.10};

struct Arm {
  const char* name;
  double weight;
  double p_suppressed;  // share with viral load < 200 copies/mL
  double cd4_median;    // cells/mm³ when suppressed
};
// Dolutegravir does best, lopinavir/ritonavir worst: group means and proportions differ, so
// GROUP BY arm has something to show.
constexpr Arm kArms[] = {
    {"DTG", 0.40, 0.80, 480}, {"EFV", 0.35, 0.66, 430}, {"LPV/r", 0.25, 0.60, 400}};
constexpr double kArmWeights[] = {kArms[0].weight, kArms[1].weight, kArms[2].weight};

constexpr double kMissingCd4 = 0.03;
constexpr double kMissingViralLoad = 0.01;
constexpr int64_t kLowerLimit = 20;  // assay lower limit of quantification, copies/mL

// Follow-up: enrolment spread over five years, so administrative censoring at 6 to 60 months,
// a few lost to follow-up earlier; a constant monthly hazard of death, higher when the virus
// is not suppressed and when CD4 is below 200.
void AppendFollowUp(Draw* draw, bool suppressed, int64_t cd4, std::string* out) {
  const double hazard = (suppressed ? 0.004 : 0.015) * (cd4 < 200 ? 2.0 : 1.0);
  double censor = static_cast<double>(draw->Between(6, 60));
  if (draw->Uniform() < 0.08) censor = draw->Uniform() * censor;  // lost to follow-up
  const double death = -std::log(1.0 - draw->Uniform()) / hazard;
  const bool died = death <= censor;
  const long months = static_cast<long>(std::floor(died ? death : censor));
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, ",%ld,%d", months, died ? 1 : 0);
  out->append(buf, static_cast<size_t>(n));
}

void AppendRow(Draw* draw, Draw* follow_up, uint64_t index, std::string* out) {
  char buf[160];
  long age;
  do {
    age = std::lround(38.0 + 10.0 * draw->Normal());
  } while (age < 18 || age > 80);
  const char* sex = draw->Uniform() < 0.30 ? "F" : "M";
  const char* site = kSites[draw->Pick(kSiteWeights)];
  const Arm& arm = kArms[draw->Pick(kArmWeights)];

  const bool suppressed = draw->Uniform() < arm.p_suppressed;
  int64_t viral_load;
  if (suppressed) {
    // Most suppressed results sit at the assay's lower limit.
    viral_load = draw->Uniform() < 0.6 ? kLowerLimit : draw->Between(kLowerLimit + 1, 199);
  } else {
    const double log10_vl = std::log10(200.0) + draw->Uniform() * (6.0 - std::log10(200.0));
    viral_load =
        std::min<int64_t>(1000000, std::max<int64_t>(200, std::llround(std::pow(10.0, log10_vl))));
  }
  // Log-normal CD4, lower when the virus is not controlled; redrawn rather than clamped above
  // 2000 so that no spike forms at the cap.
  const double median = arm.cd4_median * (suppressed ? 1.0 : 0.65);
  int64_t cd4;
  do {
    cd4 = std::llround(median * std::exp(0.55 * draw->Normal()));
  } while (cd4 > 2000);
  const int64_t year = draw->Between(2015, 2024);
  const bool cd4_missing = draw->Uniform() < kMissingCd4;
  const bool vl_missing = draw->Uniform() < kMissingViralLoad;

  char cd4_text[24] = "";
  if (!cd4_missing) std::snprintf(cd4_text, sizeof cd4_text, "%lld", static_cast<long long>(cd4));
  char vl_text[24] = "", log_text[24] = "";
  if (!vl_missing) {
    std::snprintf(vl_text, sizeof vl_text, "%lld", static_cast<long long>(viral_load));
    std::snprintf(log_text, sizeof log_text, "%.2f", std::log10(static_cast<double>(viral_load)));
  }
  const int n = std::snprintf(buf, sizeof buf, "P%07llu,%ld,%s,%s,%s,%s,%s,%s,%lld",
                              static_cast<unsigned long long>(index + 1), age, sex, site, arm.name,
                              cd4_text, vl_text, log_text, static_cast<long long>(year));
  out->append(buf, static_cast<size_t>(n));
  if (follow_up != nullptr) AppendFollowUp(follow_up, suppressed, cd4, out);
  out->push_back('\n');
}

}  // namespace

Status GenerateCohort(const GenerateOptions& options, const std::string& out_path,
                      const std::function<void(uint64_t)>& progress) {
  AtomicFile out;
  CS_RETURN_IF_ERROR(out.Open(out_path, kPrivateFile, options.overwrite));
  std::string buffer = "patient_id,age,sex,site,arm,cd4,viral_load,log10_vl,visit_year";
  buffer += options.follow_up ? ",months_followed,died\n" : "\n";
  Draw draw(options.seed);
  Draw follow_up(options.seed ^ 0x9e3779b97f4a7c15ULL);
  for (uint64_t i = 0; i < options.records; ++i) {
    AppendRow(&draw, options.follow_up ? &follow_up : nullptr, i, &buffer);
    if (buffer.size() >= kFlushBytes) {
      CS_RETURN_IF_ERROR(out.Append(buffer));
      buffer.clear();
    }
    if (progress && (i + 1) % kProgressEvery == 0) progress(i + 1);
  }
  CS_RETURN_IF_ERROR(out.Append(buffer));
  CS_RETURN_IF_ERROR(out.Commit());
  if (progress && options.records % kProgressEvery != 0) progress(options.records);
  return Status::OK();
}

}  // namespace cipherstat
