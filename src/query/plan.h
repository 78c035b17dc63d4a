// The planner: which slots answer which aggregate, and what the compute party must sum.
// A plan is a pure function of (SQL, catalog, slot layout), what the compute party holds, so
// the owner re-derives it at decryption instead of trusting one shipped by the compute party.
#pragma once

#include <string>
#include <vector>

#include "encoding/catalog.h"
#include "encoding/layout.h"
#include "query/sql.h"
#include "util/status.h"

namespace cipherstat {

// A WHERE condition on a public column (the only kind the compute party can evaluate).
struct PublicFilter {
  int public_index = 0;  // position among the dataset's public columns
  Condition condition;
  bool numeric = false;  // a numeric column compares as numbers even with a quoted literal
};

struct Plan {
  std::string sql;
  Query query;
  std::vector<std::string> public_columns;  // the dataset's public columns, schema order
  std::vector<int> group_public;            // public GROUP BY columns (indices into the above)
  std::string private_group;                // the private GROUP BY column, or empty
  std::vector<PublicFilter> filters;
  std::vector<int> ciphertexts;  // packed ciphertext indices to sum, ascending
  std::vector<int> slots;        // the layout's slots the decoder reads, ascending
};

// Errors are InvalidArgument naming the schema change that would make the query answerable.
Result<Plan> MakePlan(const std::string& sql, const Catalog& catalog, const Layout& layout);

// True when a record's public values pass every filter (SQL semantics: a comparison with a
// missing value, written as an empty field, is not true).
bool PassesFilters(const Plan& plan, const std::vector<std::string_view>& public_values);

}  // namespace cipherstat
