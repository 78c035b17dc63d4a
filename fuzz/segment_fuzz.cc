// Records through the Mapper (split, filter, range check, homomorphic sum) for a few plans.
// The input is records one after another, each a public line ending in '\n' followed by
// pk.ciphertext_bytes() bytes per ciphertext column, as ReadChunks hands them out.
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
    Mapper mapper(f.sk.public_key(), plan);
    const size_t width = f.sk.public_key().ciphertext_bytes();
    RecordView record;
    std::string_view rest = input;
    while (true) {
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos || rest.size() - nl - 1 < per_record * width) break;
      if (!SplitPublicLine(rest.substr(0, nl), plan.public_columns.size(), &record.public_values)
               .ok()) {
        break;
      }
      rest.remove_prefix(nl + 1);
      record.ciphertexts.clear();
      for (size_t c = 0; c < per_record; ++c) {
        record.ciphertexts.push_back(rest.substr(c * width, width));
      }
      rest.remove_prefix(per_record * width);
      if (!mapper.AddRecord(record).ok()) break;
    }
    for (const EncryptedGroup& g : mapper.TakeGroups()) {
      if (g.sums.size() != plan.ciphertexts.size()) __builtin_trap();
    }
  }
  return 0;
}
