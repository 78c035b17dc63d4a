#include "encoding/layout.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "encoding/date.h"
#include "encoding/fixed_point.h"
#include "util/json.h"

namespace cipherstat {

namespace {

__extension__ typedef unsigned __int128 u128;

int BitsFor(u128 max_value) {
  int bits = 0;
  while (max_value > 0) {
    ++bits;
    max_value >>= 1;
  }
  return bits;
}

int64_t Pow10(int decimals) {
  int64_t p = 1;
  for (int i = 0; i < decimals; ++i) p *= 10;
  return p;
}

const char* KindName(SlotKind kind) {
  switch (kind) {
    case SlotKind::kCount:
      return "count";
    case SlotKind::kObserved:
      return "observed";
    case SlotKind::kSum:
      return "sum";
    case SlotKind::kSumSquares:
      return "sumsq";
    case SlotKind::kLevel:
      return "level";
    case SlotKind::kBin:
      return "bin";
    case SlotKind::kProduct:
      return "product";
    case SlotKind::kEvent:
      return "event";
    case SlotKind::kTag:
      return "tag";
  }
  return "?";
}

// The largest value one record can put into a slot (`other`: a product's second variable).
u128 MaxPerRecord(SlotKind kind, const VariableCodec* v, const VariableCodec* other) {
  switch (kind) {
    case SlotKind::kSum:
      return v->range;
    case SlotKind::kSumSquares:
      return static_cast<u128>(v->range) * v->range;
    case SlotKind::kProduct:
      return static_cast<u128>(v->range) * other->range;
    default:
      return 1;
  }
}

// A clean date column's value as its day number (encoding/date.h).
Result<int64_t> ParseDayNumber(const std::string& text) {
  int64_t day = 0;
  if (!ParseIsoDate(text, &day))
    return Status::InvalidArgument("'" + text + "' is not a YYYY-MM-DD date");
  return day;
}

}  // namespace

Result<Layout> Layout::Build(const Schema& schema, int plaintext_bits) {
  CS_RETURN_IF_ERROR(ValidateSchema(schema));
  Layout layout;
  layout.plaintext_bits_ = plaintext_bits;

  auto add_variable = [&](const std::string& name, double min, double max, int decimals,
                          bool can_be_missing) {
    VariableCodec v;
    v.name = name;
    v.decimals = decimals;
    const double scale = static_cast<double>(Pow10(decimals));
    v.min_fixed = static_cast<int64_t>(std::llround(min * scale));
    v.range = static_cast<uint64_t>(std::llround(max * scale) - v.min_fixed);
    v.can_be_missing = can_be_missing;
    layout.variables_.push_back(v);
  };
  for (const Column& c : schema.columns) {
    if (c.numeric() && !c.is_public) {
      add_variable(c.name, c.min, c.max, c.decimals, c.on_invalid == OnInvalid::kMissing);
      layout.variables_.back().date = c.date();
    }
  }
  for (const Derived& d : schema.derived) {
    const Column* source = schema.FindColumn(d.column);
    add_variable(d.name, 0, 1, 0, source->on_invalid == OnInvalid::kMissing);
  }

  std::vector<Slot> slots;
  auto add = [&](SlotKind kind, const std::string& variable, const std::string& by, int level,
                 int bin, const std::string& cases = "") {
    Slot s;
    s.kind = kind;
    s.variable = variable;
    s.by = by;
    s.level = level;
    s.bin = bin;
    s.cases = cases;
    slots.push_back(s);
  };
  auto add_numeric = [&](const VariableCodec& v, const std::string& by, int level) {
    if (v.can_be_missing) add(SlotKind::kObserved, v.name, by, level, -1);
    add(SlotKind::kSum, v.name, by, level, -1);
    if (v.range > 1) add(SlotKind::kSumSquares, v.name, by, level, -1);
  };
  // A product set's slots over its complete cases (always all of them: which members can be
  // missing decides nothing here, so the set reads the same whatever the data).
  auto add_product = [&](const ProductSet& set, const std::string& by, int level) {
    const std::string key = ProductKey(set);
    add(SlotKind::kCount, "", by, level, -1, key);
    for (const std::string& m : set) {
      add(SlotKind::kSum, m, by, level, -1, key);
      if (layout.FindVariable(m)->range > 1) add(SlotKind::kSumSquares, m, by, level, -1, key);
    }
    for (size_t i = 0; i < set.size(); ++i) {
      for (size_t j = i + 1; j < set.size(); ++j)
        add(SlotKind::kProduct, ProductKey({set[i], set[j]}), by, level, -1, key);
    }
  };

  // Slots come in units that a query reads together, each kept in one plaintext when it
  // fits. Unit 0: count and the whole-dataset numeric slots (every query reads count, and a
  // grouped one the totals too). One unit per histogram's bins. Per private groupable column
  // G one unit: G's level slots and every cross by G — a GROUP BY G query then reads unit 0
  // and that unit. A unit larger than a plaintext fills fresh plaintexts slot by slot, G's
  // levels first (so COUNT(*) … GROUP BY G reads the first of them alone): any query reading
  // the crosses reads all of them, so keeping each level's crosses whole would only leave
  // plaintexts half empty.
  std::vector<std::vector<Slot>> units(1);
  add(SlotKind::kCount, "", "", -1, -1);
  for (const VariableCodec& v : layout.variables_) add_numeric(v, "", -1);
  units[0] = std::move(slots);
  for (const ProductSet& set : schema.products) {  // one unit per product set
    slots.clear();
    add_product(set, "", -1);
    units.push_back(std::move(slots));
  }
  // One unit per survival pair: its exits and events, bin by bin.
  auto add_survival = [&](const Survival& sv, const std::string& by, int level) {
    const Column* time = schema.FindColumn(sv.time);
    for (int b = 0; b + 1 < static_cast<int>(time->bins.size()); ++b) {
      add(SlotKind::kBin, sv.time, by, level, b, sv.event);
      add(SlotKind::kEvent, sv.time, by, level, b, sv.event);
    }
  };
  for (const Survival& sv : schema.survival) {
    slots.clear();
    add_survival(sv, "", -1);
    units.push_back(std::move(slots));
  }
  for (const Column& c : schema.columns) {  // one unit per histogram
    if (c.numeric() && !c.is_public && !c.bins.empty()) {
      slots.clear();
      for (int b = 0; b + 1 < static_cast<int>(c.bins.size()); ++b)
        add(SlotKind::kBin, c.name, "", -1, b);
      units.push_back(std::move(slots));
    }
  }
  std::vector<std::vector<std::vector<Slot>>> blocks;  // per G: levels, then per-level crosses
  std::vector<std::string> block_by;
  auto block_for = [&](const std::string& by) -> std::vector<std::vector<Slot>>& {
    for (size_t i = 0; i < block_by.size(); ++i) {
      if (block_by[i] == by) return blocks[i];
    }
    block_by.push_back(by);
    blocks.emplace_back(1);
    return blocks.back();
  };
  for (const Column& c : schema.columns) {
    if (c.groupable() && !c.is_public) {
      slots.clear();
      for (int l = 0; l < static_cast<int>(c.levels.size()); ++l)
        add(SlotKind::kLevel, c.name, "", l, -1);
      block_for(c.name)[0] = std::move(slots);
    }
  }
  for (const Survival& sv : schema.survival) {
    for (const std::string& by_name : sv.by) {
      const Column* by = schema.FindColumn(by_name);
      auto& block = block_for(by_name);
      if (block.size() < by->levels.size() + 1) block.resize(by->levels.size() + 1);
      for (int l = 0; l < static_cast<int>(by->levels.size()); ++l) {
        slots.clear();
        add_survival(sv, by_name, l);
        auto& unit = block[static_cast<size_t>(l) + 1];
        unit.insert(unit.end(), slots.begin(), slots.end());
      }
    }
  }
  for (const Cross& cross : schema.crosses) {
    const Column* by = schema.FindColumn(cross.by);
    auto& block = block_for(cross.by);
    if (block.size() < by->levels.size() + 1) block.resize(by->levels.size() + 1);
    for (int l = 0; l < static_cast<int>(by->levels.size()); ++l) {
      slots.clear();
      for (const std::string& over : cross.over) {
        if (const ProductSet* set = schema.FindProduct(over)) {
          add_product(*set, cross.by, l);
          continue;
        }
        const VariableCodec* v = layout.FindVariable(over);
        if (v == nullptr) {
          return Status::InvalidArgument("schema: cross by '" + cross.by + "' over '" + over +
                                         "': not a private numeric column or derived indicator");
        }
        add_numeric(*v, cross.by, l);
      }
      auto& unit = block[static_cast<size_t>(l) + 1];
      unit.insert(unit.end(), slots.begin(), slots.end());
    }
  }

  // Widths from the record bound.
  auto set_width = [&](Slot& s) -> Status {
    const VariableCodec *v = nullptr, *other = nullptr;
    if (s.kind == SlotKind::kProduct) {
      const ProductSet pair = SplitProductKey(s.variable);
      v = layout.FindVariable(pair.front());
      other = layout.FindVariable(pair.back());
    } else {
      v = layout.FindVariable(s.variable);
    }
    const u128 per_record = MaxPerRecord(s.kind, v, other);
    u128 max_sum = per_record * static_cast<u128>(schema.max_records);
    if (max_sum / schema.max_records != per_record) {
      return Status::InvalidArgument("schema: '" + s.variable +
                                     "' range times max_records exceeds 128 bits");
    }
    s.width = std::max(1, BitsFor(max_sum));
    if (s.width > kMaxDataSlotBits) {
      return Status::InvalidArgument(
          "schema: the sums of '" + s.variable + "' need " + std::to_string(s.width) +
          " bits, more than the " + std::to_string(kMaxDataSlotBits) +
          " a slot can hold under its tag: narrow its range or decimals, or lower max_records");
    }
    if (s.width > plaintext_bits - TagWidth(schema.max_records)) {
      return Status::InvalidArgument("schema: slot for '" + s.variable + "' needs " +
                                     std::to_string(s.width) + " bits; the key holds " +
                                     std::to_string(plaintext_bits) + " with " +
                                     std::to_string(TagWidth(schema.max_records)) + " for the tag");
    }
    return Status::OK();
  };
  auto unit_width = [](const std::vector<Slot>& unit) {
    int w = 0;
    for (const Slot& s : unit) w += s.width;
    return w;
  };
  for (auto& unit : units) {
    for (Slot& s : unit) CS_RETURN_IF_ERROR(set_width(s));
  }
  for (auto& block : blocks) {
    for (auto& unit : block) {
      for (Slot& s : unit) CS_RETURN_IF_ERROR(set_width(s));
    }
    std::vector<Slot> merged;
    for (auto& unit : block) merged.insert(merged.end(), unit.begin(), unit.end());
    units.push_back(std::move(merged));
  }

  // First-fit decreasing: each unit lands whole in the first plaintext with room (a new one
  // when none has), or, when larger than a plaintext, slot by slot from the last plaintext on.
  // Each plaintext keeps room for its tag after its data slots. Units over half a plaintext
  // cannot share one, and can leave each nearly half empty (four crosses of ~1000 bits took
  // four plaintexts where three hold every bit): so the packing is also tried with each unit
  // that fits no open plaintext whole filling their gaps slot by slot, and kept when that
  // saves a plaintext — every record then costs fewer, though a query reading that unit may
  // sum two ciphertexts instead of one.
  const int tag_width = TagWidth(schema.max_records);
  const int capacity = plaintext_bits - tag_width;
  std::vector<size_t> order;
  for (size_t u = 0; u < units.size(); ++u) order.push_back(u);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return unit_width(units[a]) > unit_width(units[b]); });
  auto put = [](Slot& s, size_t target, std::vector<int>& used) {
    s.ciphertext = static_cast<int>(target);
    s.offset = used[target];
    used[target] += s.width;
  };
  // The bits used per plaintext, with every slot of `packed` placed.
  auto pack = [&](bool fill_gaps, std::vector<std::vector<Slot>>& packed) {
    std::vector<int> used;
    auto first_fit = [&](int width) {
      size_t target = 0;
      while (target < used.size() && used[target] + width > capacity) ++target;
      return target;
    };
    for (size_t u : order) {
      std::vector<Slot>& unit = packed[u];
      const int width = unit_width(unit);
      if (width > capacity) {
        // Units this large come first (decreasing order): each continues where the one before
        // ended, so together they leave at most one plaintext part empty.
        if (used.empty()) used.push_back(0);
        for (Slot& s : unit) {
          if (used.back() + s.width > capacity) used.push_back(0);
          put(s, used.size() - 1, used);
        }
        continue;
      }
      size_t target = first_fit(width);
      if (target == used.size() && fill_gaps) {
        for (Slot& s : unit) {
          target = first_fit(s.width);
          if (target == used.size()) used.push_back(0);
          put(s, target, used);
        }
        continue;
      }
      if (target == used.size()) used.push_back(0);
      for (Slot& s : unit) put(s, target, used);
    }
    return used;
  };
  std::vector<int> used = pack(/*fill_gaps=*/false, units);
  std::vector<std::vector<Slot>> filled = units;
  std::vector<int> filled_used = pack(/*fill_gaps=*/true, filled);
  if (filled_used.size() < used.size()) {
    units = std::move(filled);
    used = std::move(filled_used);
  }
  slots.clear();
  for (auto& unit : units) slots.insert(slots.end(), unit.begin(), unit.end());
  for (size_t k = 0; k < used.size(); ++k) {
    Slot tag;
    tag.kind = SlotKind::kTag;
    tag.width = tag_width;
    put(tag, k, used);
    slots.push_back(tag);
  }
  std::stable_sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    return a.ciphertext != b.ciphertext ? a.ciphertext < b.ciphertext : a.offset < b.offset;
  });
  layout.slots_ = std::move(slots);
  layout.num_ciphertexts_ = static_cast<int>(used.size());
  return layout;
}

double Layout::density() const {
  double bits = 0;
  for (const Slot& s : slots_) bits += s.kind == SlotKind::kTag ? 0 : s.width;
  return bits / (static_cast<double>(num_ciphertexts_) * plaintext_bits_);
}

int Layout::Find(SlotKind kind, const std::string& variable, const std::string& by, int level,
                 int bin, const std::string& cases) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.kind == kind && s.variable == variable && s.by == by && s.level == level &&
        s.bin == bin && s.cases == cases) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int Layout::TagSlot(int ciphertext) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].kind == SlotKind::kTag && slots_[i].ciphertext == ciphertext)
      return static_cast<int>(i);
  }
  return -1;
}

int Layout::TagWidth(uint64_t max_records) {
  return kTagPrimeBits + BitsFor(static_cast<u128>(max_records));
}

const VariableCodec* Layout::FindVariable(const std::string& name) const {
  for (const VariableCodec& v : variables_) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::string Layout::ToJson() const {
  nlohmann::json slots = nlohmann::json::array();
  for (const Slot& s : slots_) {
    nlohmann::json j = {{"kind", KindName(s.kind)},
                        {"width", s.width},
                        {"ciphertext", s.ciphertext},
                        {"offset", s.offset}};
    if (!s.variable.empty()) j["variable"] = s.variable;
    if (!s.by.empty()) j["by"] = s.by;
    if (!s.cases.empty()) j["cases"] = s.cases;
    if (s.level >= 0) j["level"] = s.level;
    if (s.bin >= 0) j["bin"] = s.bin;
    slots.push_back(std::move(j));
  }
  nlohmann::json out = {{"plaintext_bits", plaintext_bits_},
                        {"ciphertexts", num_ciphertexts_},
                        {"slots", std::move(slots)}};
  return out.dump();
}

Result<Layout> Layout::FromJson(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& what) { return Status::Corruption("slot layout: " + what); };
  if (!j.is_object()) return bad("not a JSON object");
  try {
    Layout layout;
    const std::string what = "slot layout";
    CS_ASSIGN_OR_RETURN(layout.plaintext_bits_, IntAt(j, "plaintext_bits", what));
    CS_ASSIGN_OR_RETURN(layout.num_ciphertexts_, IntAt(j, "ciphertexts", what));
    if (layout.plaintext_bits_ <= 0 || layout.num_ciphertexts_ <= 0 ||
        layout.num_ciphertexts_ > 100000) {
      return bad("bad plaintext size or ciphertext count");
    }
    // Bits used per ciphertext, to refuse overlapping slots.
    std::vector<std::vector<std::pair<int, int>>> used(
        static_cast<size_t>(layout.num_ciphertexts_));
    for (const auto& e : j.at("slots")) {
      Slot s;
      const std::string kind = e.at("kind").get<std::string>();
      bool known = false;
      for (SlotKind k : {SlotKind::kCount, SlotKind::kObserved, SlotKind::kSum,
                         SlotKind::kSumSquares, SlotKind::kLevel, SlotKind::kBin,
                         SlotKind::kProduct, SlotKind::kEvent, SlotKind::kTag}) {
        if (kind == KindName(k)) s.kind = k, known = true;
      }
      if (!known) return bad("unknown slot kind '" + QuoteInput(kind) + "'");
      CS_ASSIGN_OR_RETURN(s.width, IntAt(e, "width", what));
      CS_ASSIGN_OR_RETURN(s.ciphertext, IntAt(e, "ciphertext", what));
      CS_ASSIGN_OR_RETURN(s.offset, IntAt(e, "offset", what));
      s.variable = e.value("variable", "");
      s.by = e.value("by", "");
      s.cases = e.value("cases", "");
      if (e.contains("level")) {
        CS_ASSIGN_OR_RETURN(s.level, IntAt(e, "level", what));
      }
      if (e.contains("bin")) {
        CS_ASSIGN_OR_RETURN(s.bin, IntAt(e, "bin", what));
      }
      // A data slot holds at most kMaxDataSlotBits; a tag slot 127 bits and the record
      // count's.
      const int widest = s.kind == SlotKind::kTag ? kTagPrimeBits + 64 : kMaxDataSlotBits;
      if (s.width <= 0 || s.width > widest || s.offset < 0 || s.ciphertext < 0 ||
          s.ciphertext >= layout.num_ciphertexts_ || s.offset > layout.plaintext_bits_ - s.width) {
        return bad("a " + kind + " slot lies outside its plaintext");
      }
      for (auto [offset, width] : used[static_cast<size_t>(s.ciphertext)]) {
        if (s.offset < offset + width && offset < s.offset + s.width) {
          return bad("two slots overlap in ciphertext " + std::to_string(s.ciphertext));
        }
      }
      used[static_cast<size_t>(s.ciphertext)].emplace_back(s.offset, s.width);
      layout.slots_.push_back(std::move(s));
    }
    if (layout.Find(SlotKind::kCount, "") < 0) return bad("no record count slot");
    for (int k = 0; k < layout.num_ciphertexts_; ++k) {
      const int tag = layout.TagSlot(k);
      if (tag < 0) return bad("ciphertext " + std::to_string(k) + " has no tag slot");
      for (size_t i = static_cast<size_t>(tag) + 1; i < layout.slots_.size(); ++i) {
        if (layout.slots_[i].kind == SlotKind::kTag && layout.slots_[i].ciphertext == k)
          return bad("ciphertext " + std::to_string(k) + " has two tag slots");
      }
    }
    return layout;
  } catch (const nlohmann::json::exception& e) {
    return bad(JsonErrorText(e));
  }
}

Status Layout::CheckMatches(const std::string& json) const {
  nlohmann::json stored = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (stored.is_discarded() || stored != nlohmann::json::parse(ToJson())) {
    return Status::Corruption(
        "slot layout in the manifest does not match the one rebuilt from its schema");
  }
  return Status::OK();
}

// --- RecordEncoder ------------------------------------------------------------------------

namespace {

// ORs `value` (< 2^width) into a little-endian limb array at bit `offset`.
void OrBits(mp_limb_t* limbs, int offset, u128 value) {
  int limb = offset / 64, shift = offset % 64;
  while (value != 0) {
    limbs[limb] |= static_cast<uint64_t>(value << shift);
    value = shift == 0 ? value >> 64 : value >> (64 - shift);
    shift = 0;
    ++limb;
  }
}

int OpCode(const std::string& op) {
  if (op == "<") return 0;
  if (op == "<=") return 1;
  if (op == ">") return 2;
  if (op == ">=") return 3;
  if (op == "==") return 4;
  return 5;  // "!="
}

bool Compare(int64_t lhs_fixed, int op, long double rhs_fixed) {
  const long double lhs = static_cast<long double>(lhs_fixed);
  switch (op) {
    case 0:
      return lhs < rhs_fixed;
    case 1:
      return lhs <= rhs_fixed;
    case 2:
      return lhs > rhs_fixed;
    case 3:
      return lhs >= rhs_fixed;
    case 4:
      return lhs == rhs_fixed;
    default:
      return lhs != rhs_fixed;
  }
}

int ColumnPosition(const Schema& schema, const std::string& name) {
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    if (schema.columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int VariablePosition(const Layout& layout, const std::string& name) {
  for (size_t i = 0; i < layout.variables().size(); ++i) {
    if (layout.variables()[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Result<RecordEncoder> RecordEncoder::Create(const Schema& schema, const Layout& layout,
                                            const std::vector<std::string>& header) {
  RecordEncoder e;
  e.schema_ = &schema;
  e.layout_ = &layout;
  std::map<std::string, int> position;
  for (size_t i = 0; i < header.size(); ++i) position[header[i]] = static_cast<int>(i);
  for (const Column& c : schema.columns) {
    auto it = position.find(c.name);
    if (it == position.end()) {
      return Status::InvalidArgument(
          "CSV header lacks schema column '" + c.name + "'" +
          (c.computed() ? " (computed by clean: encrypt the clean CSV)" : ""));
    }
    e.column_index_.push_back(it->second);
    if (c.is_public) {
      e.public_columns_.push_back(c.name);
      e.public_index_.push_back(it->second);
    }
    ColumnPlan plan;
    plan.field = it->second;
    if (c.numeric()) {
      const double scale = static_cast<double>(Pow10(c.decimals));
      plan.min_fixed = std::llround(c.min * scale);
      plan.max_fixed = std::llround(c.max * scale);
      if (!c.is_public) plan.variable = VariablePosition(layout, c.name);
    }
    e.columns_.push_back(plan);
  }
  for (const Derived& d : schema.derived) {
    DerivedPlan plan;
    plan.column = ColumnPosition(schema, d.column);
    plan.variable = VariablePosition(layout, d.name);
    plan.op = OpCode(d.op);
    const Column* source = schema.FindColumn(d.column);
    plan.threshold_fixed = static_cast<long double>(d.value) * Pow10(source->decimals);
    e.derived_.push_back(plan);
  }
  e.variable_count_ = layout.variables().size();
  for (size_t i = 0; i < layout.slots().size(); ++i) {
    const Slot& s = layout.slots()[i];
    SlotPlan plan;
    plan.kind = s.kind;
    plan.ciphertext = s.ciphertext;
    plan.offset = s.offset;
    plan.level = s.level;
    plan.slot = i;
    if (!s.by.empty()) plan.by = ColumnPosition(schema, s.by);
    if (!s.cases.empty()) {
      for (const std::string& m : SplitProductKey(s.cases))
        plan.cases.push_back(VariablePosition(layout, m));
    }
    switch (s.kind) {
      case SlotKind::kCount:
        break;
      case SlotKind::kProduct: {
        const ProductSet pair = SplitProductKey(s.variable);
        plan.variable = VariablePosition(layout, pair.front());
        plan.other = VariablePosition(layout, pair.back());
        break;
      }
      case SlotKind::kObserved:
      case SlotKind::kSum:
      case SlotKind::kSumSquares:
        plan.variable = VariablePosition(layout, s.variable);
        break;
      case SlotKind::kLevel:
        plan.variable = ColumnPosition(schema, s.variable);
        break;
      case SlotKind::kBin:
      case SlotKind::kEvent: {
        plan.variable = ColumnPosition(schema, s.variable);
        if (s.kind == SlotKind::kEvent) plan.other = VariablePosition(layout, s.cases);
        const Column& c = schema.columns[static_cast<size_t>(plan.variable)];
        const long double scale = Pow10(c.decimals);
        plan.bin_lo = static_cast<long double>(c.bins[static_cast<size_t>(s.bin)]) * scale;
        plan.bin_hi = static_cast<long double>(c.bins[static_cast<size_t>(s.bin) + 1]) * scale;
        break;
      }
      case SlotKind::kTag:
        e.tag_offsets_.push_back(s.offset);  // in ciphertext order (Layout::Build sorts)
        continue;
    }
    e.slots_.push_back(plan);
  }
  e.count_slot_ = layout.Find(SlotKind::kCount, "");
  return e;
}

Status RecordEncoder::Encode(const std::vector<std::string>& row,
                             std::vector<crypto::BigInt>* plaintexts,
                             std::vector<std::string>* public_values, const Authenticator* tags,
                             TagValue r) const {
  const Schema& schema = *schema_;
  const Layout& layout = *layout_;
  const size_t columns = schema.columns.size();
  // Per-record scratch, reused: raw fixed-point values and levels per schema column, offset
  // values per layout variable; the *_present flags say what is missing.
  thread_local std::vector<int64_t> fixed;
  thread_local std::vector<int> level;  // -1: missing
  thread_local std::vector<uint64_t> offset;
  thread_local std::vector<char> fixed_present, offset_present;
  fixed.assign(columns, 0);
  fixed_present.assign(columns, 0);
  level.assign(columns, -1);
  offset.assign(variable_count_, 0);
  offset_present.assign(variable_count_, 0);

  for (size_t ci = 0; ci < columns; ++ci) {
    const Column& c = schema.columns[ci];
    const ColumnPlan& plan = columns_[ci];
    const size_t field = static_cast<size_t>(plan.field);
    if (field >= row.size()) return Status::InvalidArgument("row has too few fields");
    const std::string& text = row[field];
    if (!c.shipped()) continue;
    bool missing = false;
    for (const std::string& m : schema.missing_values) missing = missing || text == m;
    if (c.is_public && text.find_first_of("\t\r\n") != std::string::npos) {
      return Status::InvalidArgument("public column '" + c.name +
                                     "': a tab or line break in a value (re-run clean)");
    }
    if (missing) {
      if (c.on_invalid == OnInvalid::kDropRow) {
        return Status::InvalidArgument("column '" + c.name +
                                       "': missing value in a drop_row column (re-run clean)");
      }
      continue;
    }
    if (c.numeric()) {
      auto value = c.date() ? ParseDayNumber(text) : ParseFixedPoint(text, c.decimals);
      if (!value.ok()) return value.status().WithContext("column '" + c.name + "' (re-run clean)");
      if (*value < plan.min_fixed || *value > plan.max_fixed) {
        return Status::InvalidArgument("column '" + c.name + "': value " + text +
                                       " outside the schema range (re-run clean)");
      }
      if (!c.is_public) {
        fixed[ci] = *value;
        fixed_present[ci] = 1;
        const size_t v = static_cast<size_t>(plan.variable);
        offset[v] = static_cast<uint64_t>(*value - plan.min_fixed);
        offset_present[v] = 1;
      }
    }
    if (c.groupable()) {
      int found = -1;
      for (size_t l = 0; l < c.levels.size() && found < 0; ++l) {
        if (c.levels[l] == text) found = static_cast<int>(l);
      }
      if (found < 0) {
        return Status::InvalidArgument("column '" + c.name + "': unknown level '" + text +
                                       "' (re-run clean)");
      }
      if (!c.is_public) level[ci] = found;
    }
  }
  for (const DerivedPlan& d : derived_) {
    const size_t source = static_cast<size_t>(d.column);
    if (!fixed_present[source]) continue;
    const size_t v = static_cast<size_t>(d.variable);
    offset[v] = Compare(fixed[source], d.op, d.threshold_fixed) ? 1 : 0;
    offset_present[v] = 1;
  }

  const size_t limbs = static_cast<size_t>(layout.plaintext_bits() / 64 + 2);
  const size_t count = static_cast<size_t>(layout.num_ciphertexts());
  thread_local std::vector<mp_limb_t> words;
  thread_local std::vector<TagValue> tag;  // Σ α·value so far, per ciphertext
  words.assign(limbs * count, 0);
  tag.assign(count, 0);
  for (const SlotPlan& s : slots_) {
    if (s.by >= 0 && level[static_cast<size_t>(s.by)] != s.level) continue;
    if (!std::all_of(s.cases.begin(), s.cases.end(),
                     [&](int m) { return offset_present[static_cast<size_t>(m)] != 0; })) {
      continue;
    }
    const size_t v = static_cast<size_t>(s.variable);
    u128 value = 0;
    switch (s.kind) {
      case SlotKind::kCount:
        value = 1;
        break;
      case SlotKind::kObserved:
        value = offset_present[v] ? 1 : 0;
        break;
      case SlotKind::kSum:
        value = offset[v];
        break;
      case SlotKind::kSumSquares:
        value = static_cast<u128>(offset[v]) * offset[v];
        break;
      case SlotKind::kProduct:
        value = static_cast<u128>(offset[v]) * offset[static_cast<size_t>(s.other)];
        break;
      case SlotKind::kLevel:
        value = level[v] == s.level ? 1 : 0;
        break;
      case SlotKind::kBin:
      case SlotKind::kEvent: {
        if (!fixed_present[v]) break;
        if (s.kind == SlotKind::kEvent && offset[static_cast<size_t>(s.other)] != 1) break;
        const long double x = static_cast<long double>(fixed[v]);
        value = (x >= s.bin_lo && x < s.bin_hi) ? 1 : 0;
        break;
      }
      case SlotKind::kTag:  // Create plans no tag slot
        break;
    }
    if (value == 0) continue;
    OrBits(words.data() + static_cast<size_t>(s.ciphertext) * limbs, s.offset, value);
    if (tags != nullptr) {
      TagValue& t = tag[static_cast<size_t>(s.ciphertext)];
      t = TagAdd(t, TagMul(tags->alpha(s.slot), TagReduce(value)));
    }
  }
  for (size_t k = 0; k < count && tags != nullptr; ++k) {
    const TagValue t = TagAdd(tag[k], tags->RandomPart(static_cast<int>(k), r));
    OrBits(words.data() + k * limbs, tag_offsets_[k], t);
  }
  plaintexts->resize(count);
  for (size_t i = 0; i < count; ++i) {
    mpz_ptr z = (*plaintexts)[i].get();
    mp_limb_t* dst = mpz_limbs_write(z, static_cast<mp_size_t>(limbs));
    std::copy(words.data() + i * limbs, words.data() + (i + 1) * limbs, dst);
    mpz_limbs_finish(z, static_cast<mp_size_t>(limbs));
  }
  public_values->resize(public_index_.size());
  for (size_t i = 0; i < public_index_.size(); ++i)
    (*public_values)[i] = row[static_cast<size_t>(public_index_[i])];
  return Status::OK();
}

crypto::BigInt ExtractSlot(const crypto::BigInt& plaintext, const Slot& s) {
  crypto::BigInt out;
  mpz_fdiv_q_2exp(out.get(), plaintext.get(), static_cast<mp_bitcnt_t>(s.offset));
  mpz_fdiv_r_2exp(out.get(), out.get(), static_cast<mp_bitcnt_t>(s.width));
  return out;
}

}  // namespace cipherstat
