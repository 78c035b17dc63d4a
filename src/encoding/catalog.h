// The catalog: what the compute party is told about a dataset's columns. It is enough to plan
// a query over the slot layout (encoding/layout.h) and nothing more: no value computed from
// private data — no bounds, offsets or decimals, no level names of private columns, no bin
// edges, no thresholds of derived indicators. Those stay in the owner's schema, which travels
// sealed for the key holders (crypto/seal.h, store/dataset.h).
//
// JSON (CatalogToJson):
//   {"name":"cohort",
//    "columns":[{"name":"patient_id","kind":"identifier"},        // never shipped
//               {"name":"cause_of_death","kind":"excluded"},   // never shipped
//               {"name":"site","kind":"categorical","public":true},
//               {"name":"sex","kind":"categorical","levels":2},      // level slots 0 and 1
//               {"name":"cd4","kind":"numeric","bins":4}],           // histogram bins 0..3
//    "derived":["viral_suppressed"],
//    "crosses":[{"by":"sex","over":["cd4","cd4*age"]}],
//    "products":[["cd4","age"]],                                    // only when declared
//    "survival":[{"time":"days","event":"died","by":["sex"]}]}      // only when declared
// A public column's values are in every record line in plaintext: the owner chose that.
#pragma once

#include <string>
#include <vector>

#include "encoding/schema.h"
#include "util/status.h"

namespace cipherstat {

struct CatalogColumn {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  bool is_public = false;
  int levels = 0;  // a private groupable column's level slots, by index 0..levels−1
  int bins = 0;    // a private numeric column's histogram bins, by index 0..bins−1

  bool numeric() const { return kind == ColumnKind::kNumeric; }
  bool operator==(const CatalogColumn&) const = default;
};

struct Catalog {
  std::string name;  // the SQL table name
  std::vector<CatalogColumn> columns;
  std::vector<std::string> derived;  // 0/1 indicators, by name only
  std::vector<Cross> crosses;
  std::vector<ProductSet> products;  // the schema's, by name (encoding/schema.h)
  std::vector<Survival> survival;    // the schema's, by name
  // The declared survival pair (time, event), or nullptr.
  const Survival* FindSurvival(const std::string& time, const std::string& event) const;

  const CatalogColumn* FindColumn(const std::string& name) const;  // nullptr when absent
  bool IsDerived(const std::string& name) const;
  bool HasCross(const std::string& by, const std::string& over) const;
  // Public columns in order: the values at the start of every record line.
  std::vector<std::string> PublicColumns() const;
  bool operator==(const Catalog&) const = default;
};

// The one place that decides what the compute party learns of a schema.
Catalog CatalogOf(const Schema& schema);

std::string CatalogToJson(const Catalog& catalog);  // compact, stable order
// Checks names are unique and non-empty and that crosses name known columns. Errors are
// Corruption naming the field (a catalog is written by cipherstat, never by hand).
Result<Catalog> CatalogFromJson(const std::string& json);

// The catalog in words, one line per column and indicator: what the compute side saw. The HTML
// report's footer and `cipherstat verify` print it.
std::vector<std::string> DescribeCatalog(const Catalog& catalog);

}  // namespace cipherstat
