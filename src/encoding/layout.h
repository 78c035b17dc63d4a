// Slot layout: which integer each record contributes to which bit range of which Paillier
// plaintext, sized so that summing up to schema.max_records records can never carry from
// one slot into its neighbour.
//
// Numeric values are encoded offset and fixed-point: y = x·10^decimals − min·10^decimals, so
// 0 <= y <= R. Per numeric variable X (column or derived indicator) a record contributes
//   observed(X) = 1 if X is present (omitted when X can never be missing),
//   sum(X)      = y,
//   sumsq(X)    = y² (omitted when R = 1: y² = y),
// per groupable private column G one-hot level(G=l), per bin of X one-hot bin(X,i), and per
// declared cross (G over X) the observed/sum/sumsq of X restricted to G = l.
// Per product set S (encoding/schema.h), over S's complete cases (every member present; the
// slots' `cases` is ProductKey(S)): count = 1, sum(X) and sumsq(X) of each member X, and
// product("X*Z") = y_X·y_Z for each pair of members in S's order (offset encodings), and the
// same per level of G when a cross by G lists S.
// Per survival pair (T, E), per bin i of T: bin(T,i) over the records with E present (`cases`
// E: they leave the risk set in bin i) and event(T,i), those of them with E = 1; the same per
// level of each of its "by" columns.
// Every record also contributes count = 1, which lets the owner check the record count.
// Every plaintext ends in a tag slot (kTag) authenticating the others (encoding/authenticator.h);
// the data slots of a plaintext fill its first bits contiguously, the tag follows them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/bigint.h"
#include "encoding/authenticator.h"
#include "encoding/schema.h"
#include "util/status.h"

namespace cipherstat {

enum class SlotKind { kCount, kObserved, kSum, kSumSquares, kLevel, kBin, kProduct, kEvent, kTag };

struct Slot {
  SlotKind kind = SlotKind::kCount;
  std::string variable;  // X for observed/sum/sumsq/bin; G for level; "X*Z" for product
  std::string by;        // cross: the group column; empty for whole-dataset slots
  std::string cases;     // the variables that must be present, joined by '*': a product set's
                         // ProductKey(S), a survival pair's event; empty for every other slot
  int level = -1;        // level index (for kLevel, and for cross slots)
  int bin = -1;          // bin index for kBin
  int width = 0;         // bits
  int ciphertext = 0;    // which plaintext of the record
  int offset = 0;        // bit offset inside it
};

// A numeric variable's fixed-point encoding.
struct VariableCodec {
  std::string name;
  int decimals = 0;
  int64_t min_fixed = 0;  // min·10^decimals
  uint64_t range = 0;     // R = max_fixed − min_fixed
  bool can_be_missing = true;
  bool date = false;  // a date column: values are day numbers (encoding/date.h)
};

class Layout {
 public:
  // Builds the layout for a schema and a plaintext capacity in bits (PublicKey::plaintext_bits).
  static Result<Layout> Build(const Schema& schema, int plaintext_bits);
  // The compute party's layout, read from a manifest: the slots alone, with no variable
  // codecs (variables() is empty) since those come from the owner's sealed schema. Checks
  // that every slot fits its plaintext and none overlaps another (Corruption otherwise).
  static Result<Layout> FromJson(const std::string& json);

  const std::vector<Slot>& slots() const { return slots_; }
  int num_ciphertexts() const { return num_ciphertexts_; }
  int plaintext_bits() const { return plaintext_bits_; }
  // Bits carrying data over bits available: the packing density (tags are not data).
  double density() const;

  // Index of a slot, or -1. `by`/`level` empty/-1 for whole-dataset slots, `cases` empty for
  // slots over every record.
  int Find(SlotKind kind, const std::string& variable, const std::string& by = "", int level = -1,
           int bin = -1, const std::string& cases = "") const;
  // Index of ciphertext `ciphertext`'s tag slot.
  int TagSlot(int ciphertext) const;
  // Bits of a tag slot summing up to `max_records` tags, each below 2^127.
  static int TagWidth(uint64_t max_records);
  // Numeric variables (columns then derived) in layout order; empty for a layout FromJson.
  const std::vector<VariableCodec>& variables() const { return variables_; }
  const VariableCodec* FindVariable(const std::string& name) const;

  std::string ToJson() const;  // for humans reading a manifest
  // Checks that `json` (from a manifest) equals the layout rebuilt from the schema.
  Status CheckMatches(const std::string& json) const;

 private:
  std::vector<Slot> slots_;
  std::vector<VariableCodec> variables_;
  int num_ciphertexts_ = 0;
  int plaintext_bits_ = 0;
};

// One record as slot values, before packing. Built from a clean CSV row.
class RecordEncoder {
 public:
  // `header` is the clean CSV's header; every schema column must be in it.
  static Result<RecordEncoder> Create(const Schema& schema, const Layout& layout,
                                      const std::vector<std::string>& header);

  // Packs one clean row into layout.num_ciphertexts() plaintexts (each < 2^plaintext_bits)
  // and returns the row's public column values (schema order). Rejects values the schema does
  // not allow, naming the column ("re-run clean"). With `tags`, each plaintext's tag slot is
  // its tag for the record's random `r` (encoding/authenticator.h); without, it is 0 (the
  // plaintext evaluation, which checks no tag).
  Status Encode(const std::vector<std::string>& row, std::vector<crypto::BigInt>* plaintexts,
                std::vector<std::string>* public_values, const Authenticator* tags = nullptr,
                TagValue r = 0) const;

  // Public columns in schema order.
  const std::vector<std::string>& public_columns() const { return public_columns_; }

 private:
  // Everything Encode needs, resolved once by Create so that a record costs array lookups
  // only (no name lookups, no maps).
  struct ColumnPlan {
    int field = 0;      // CSV field
    int variable = -1;  // index into layout variables for a private numeric column
    int64_t min_fixed = 0, max_fixed = 0;
  };
  struct DerivedPlan {
    int column = 0;    // schema column of the source
    int variable = 0;  // layout variable index of the indicator
    int op = 0;        // 0 <, 1 <=, 2 >, 3 >=, 4 ==, 5 !=
    long double threshold_fixed = 0;
  };
  struct SlotPlan {
    SlotKind kind = SlotKind::kCount;
    int variable = -1;  // layout variable (observed/sum/sumsq/product); schema column (level/bin)
    int other = -1;     // a product's second layout variable; an event slot's event variable
    std::vector<int> cases;  // a product set's members (layout variables): all must be present
    int by = -1;             // schema column of a cross's group, -1 for whole-dataset slots
    int level = -1;
    long double bin_lo = 0, bin_hi = 0;  // fixed-point bin edges
    int ciphertext = 0, offset = 0;
    size_t slot = 0;  // in the layout: its tag coefficient (Authenticator::alpha)
  };
  const Schema* schema_ = nullptr;
  const Layout* layout_ = nullptr;
  std::vector<int> column_index_;  // schema column -> CSV field
  std::vector<std::string> public_columns_;
  std::vector<int> public_index_;  // CSV field of each public column
  std::vector<ColumnPlan> columns_;
  std::vector<DerivedPlan> derived_;
  std::vector<SlotPlan> slots_;
  size_t variable_count_ = 0;
  int count_slot_ = -1;
  std::vector<int> tag_offsets_;  // per ciphertext
};

// Reads the value of slot `s` from a decrypted plaintext.
crypto::BigInt ExtractSlot(const crypto::BigInt& plaintext, const Slot& s);

}  // namespace cipherstat
