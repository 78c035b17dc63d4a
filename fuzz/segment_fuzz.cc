// Segment lines through the Mapper (split, filter, decode, homomorphic sum) for a few plans.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/mapreduce.h"
#include "fuzz_common.h"

using namespace cipherstat;

namespace {

const std::vector<Plan>& Plans() {
  static const std::vector<Plan>* plans = [] {
    const fuzz::Fixture& f = fuzz::GetFixture();
    auto* out = new std::vector<Plan>;
    for (const char* sql :
         {"SELECT COUNT(*), AVG(cd4) FROM cohort",
          "SELECT site, COUNT(*), STDDEV(age) FROM cohort WHERE site = 'Kampala' GROUP BY site",
          "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm"}) {
      auto plan = MakePlan(sql, CatalogOf(f.schema), f.layout);
      if (!plan.ok()) std::abort();
      out->push_back(std::move(plan).value());
    }
    return out;
  }();
  return *plans;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Fixture& f = fuzz::GetFixture();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t per_record = static_cast<size_t>(f.layout.num_ciphertexts());
  for (const Plan& plan : Plans()) {
    Mapper mapper(f.sk.public_key(), plan, per_record);
    size_t start = 0;
    while (start <= input.size()) {
      size_t nl = input.find('\n', start);
      std::string_view line =
          input.substr(start, nl == std::string_view::npos ? input.npos : nl - start);
      if (!mapper.AddLine(line).ok()) break;
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    for (const EncryptedGroup& g : mapper.TakeGroups()) {
      if (g.sums.size() != plan.ciphertexts.size()) __builtin_trap();
    }
  }
  return 0;
}
