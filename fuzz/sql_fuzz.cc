// SQL parser and planner against the fixture schema.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "query/plan.h"
#include "query/sql.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Fixture& fixture = fuzz::GetFixture();
  const std::string sql(reinterpret_cast<const char*>(data), size);
  (void)ParseSql(sql);
  auto plan = MakePlan(sql, CatalogOf(fixture.schema), fixture.layout);
  if (!plan.ok()) return 0;
  for (int c : plan->ciphertexts) {
    if (c < 0 || c >= fixture.layout.num_ciphertexts()) __builtin_trap();
  }
  std::vector<std::string_view> values(plan->public_columns.size(), "Kampala");
  (void)PassesFilters(*plan, values);
  std::vector<std::string_view> empty(plan->public_columns.size(), "");
  (void)PassesFilters(*plan, empty);
  return 0;
}
