#include "query/decode.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "data/csv.h"

namespace cipherstat {

namespace {

using crypto::BigInt;

constexpr int kWholeGroup = -1;  // no private GROUP BY
constexpr int kNullLevel = -2;   // the private group column is missing

BigInt Pow10(int e) {
  BigInt p;
  mpz_ui_pow_ui(p.get(), 10, static_cast<unsigned long>(e));
  return p;
}

// num / den as the nearest double, via exact rational arithmetic.
double RatioToDouble(const BigInt& num, const BigInt& den) {
  mpq_t q;
  mpq_init(q);
  mpz_set(mpq_numref(q), num.get());
  mpz_set(mpq_denref(q), den.get());
  mpq_canonicalize(q);
  // mpq_get_d truncates; the released value must be the nearest double, so compare the
  // truncated value with its neighbour away from zero, exactly.
  double d = mpq_get_d(q);
  double away = std::nextafter(d, mpq_sgn(q) >= 0 ? HUGE_VAL : -HUGE_VAL);
  mpq_t a, b;
  mpq_inits(a, b, nullptr);
  mpq_set_d(a, d);
  mpq_sub(a, q, a);
  mpq_abs(a, a);
  mpq_set_d(b, away);
  mpq_sub(b, q, b);
  mpq_abs(b, b);
  if (std::isfinite(away) && mpq_cmp(b, a) < 0) d = away;
  mpq_clears(q, a, b, nullptr);
  return d;
}

std::string FormatEdge(double edge) {
  if (std::isinf(edge)) return edge > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", edge);
  return buf;
}

std::string BinLabel(const std::string& label, const Column& c, size_t b) {
  return label + "[" + FormatEdge(c.bins[b]) + "," + FormatEdge(c.bins[b + 1]) + ")";
}

// Reads slot values of one group's decrypted sums.
class GroupView {
 public:
  GroupView(const Layout& layout, const Plan& plan, const GroupSums& sums)
      : layout_(layout), sums_(sums) {
    for (size_t i = 0; i < plan.ciphertexts.size(); ++i) position_[plan.ciphertexts[i]] = i;
  }
  BigInt Slot(int index) const {
    const cipherstat::Slot& s = layout_.slots()[static_cast<size_t>(index)];
    return ExtractSlot(sums_.plaintexts[position_.at(s.ciphertext)], s);
  }
  // A slot's value for one output row: the whole group, one private level, or NULL.
  BigInt Value(SlotKind kind, const std::string& variable, const std::string& by, int level,
               int levels) const {
    if (level == kWholeGroup) return Slot(layout_.Find(kind, variable));
    if (level >= 0) return Slot(layout_.Find(kind, variable, by, level));
    BigInt v = Slot(layout_.Find(kind, variable));
    for (int l = 0; l < levels; ++l) {
      BigInt part = Slot(layout_.Find(kind, variable, by, l));
      mpz_sub(v.get(), v.get(), part.get());
    }
    return v;
  }

 private:
  const Layout& layout_;
  const GroupSums& sums_;
  std::map<int, size_t> position_;
};

struct Moments {
  BigInt n, sum, sumsq;  // over the offset encoding y
};

Cell IntegerCell(const BigInt& v) {
  if (mpz_fits_slong_p(v.get())) return Cell::Integer(mpz_get_si(v.get()));
  return Cell::Real(mpz_get_d(v.get()));
}

Cell Aggregate1(Aggregate agg, const Moments& m, const VariableCodec& v) {
  if (agg == Aggregate::kCount) return IntegerCell(m.n);
  const unsigned long n = mpz_get_ui(m.n.get());
  if (n == 0) return Cell::Null();
  BigInt shifted, den, num, tmp;
  switch (agg) {
    case Aggregate::kSum:
    case Aggregate::kAvg: {
      // Σx·10^d = Σy + n·min_fixed
      mpz_set_si(tmp.get(), v.min_fixed);
      mpz_mul(shifted.get(), m.n.get(), tmp.get());
      mpz_add(shifted.get(), shifted.get(), m.sum.get());
      if (agg == Aggregate::kSum && v.decimals == 0) return IntegerCell(shifted);
      den = Pow10(v.decimals);
      if (agg == Aggregate::kAvg) mpz_mul(den.get(), den.get(), m.n.get());
      return Cell::Real(RatioToDouble(shifted, den));
    }
    case Aggregate::kVarSamp:
    case Aggregate::kStddevSamp:
    case Aggregate::kVarPop:
    case Aggregate::kStddevPop: {
      const bool sample = agg == Aggregate::kVarSamp || agg == Aggregate::kStddevSamp;
      if (sample && n < 2) return Cell::Null();
      // n·Σy² − (Σy)², exact; the offset cancels out of the variance.
      mpz_mul(num.get(), m.n.get(), m.sumsq.get());
      mpz_mul(tmp.get(), m.sum.get(), m.sum.get());
      mpz_sub(num.get(), num.get(), tmp.get());
      mpz_set(den.get(), m.n.get());
      mpz_mul_ui(den.get(), den.get(), sample ? n - 1 : n);
      BigInt scale = Pow10(2 * v.decimals);
      mpz_mul(den.get(), den.get(), scale.get());
      double var = RatioToDouble(num, den);
      if (agg == Aggregate::kVarSamp || agg == Aggregate::kVarPop) return Cell::Real(var);
      return Cell::Real(std::sqrt(var));
    }
    default:
      return Cell::Null();
  }
}

std::string Decimal(const BigInt& v) {
  std::string out(mpz_sizeinbase(v.get(), 10) + 2, '\0');
  mpz_get_str(out.data(), 10, v.get());
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool Suppress(const BigInt& support, uint64_t min_cell) {
  return mpz_sgn(support.get()) > 0 && mpz_cmp_ui(support.get(), min_cell) < 0;
}

}  // namespace

Result<ResultTable> DecodeSums(const Schema& schema, const Layout& layout, const Plan& plan,
                               std::vector<GroupSums> groups, uint64_t dataset_records,
                               const ReleaseOptions& options) {
  ResultTable table;
  table.sql = plan.sql;
  table.dataset_name = schema.name;
  table.dataset_records = dataset_records;
  table.min_cell = options.min_cell;

  const Column* group_col =
      plan.private_group.empty() ? nullptr : schema.FindColumn(plan.private_group);
  const int levels = group_col ? static_cast<int>(group_col->levels.size()) : 0;
  for (const SelectItem& item : plan.query.items) {
    if (item.aggregate == Aggregate::kHistogram) {
      const Column* c = schema.FindColumn(item.column);
      for (size_t b = 0; b + 1 < c->bins.size(); ++b)
        table.columns.push_back(BinLabel(item.label, *c, b));
    } else {
      table.columns.push_back(item.label);
    }
  }

  // SQL: an aggregate without GROUP BY yields one row even over no records.
  if (groups.empty() && plan.query.group_by.empty()) {
    GroupSums zero;
    zero.plaintexts.resize(plan.ciphertexts.size());
    groups.push_back(std::move(zero));
  }

  const int count_slot = layout.Find(SlotKind::kCount, "");
  BigInt total;
  for (const GroupSums& g : groups) {
    if (g.plaintexts.size() != plan.ciphertexts.size()) {
      return Status::Corruption("result: a group carries the wrong number of sums");
    }
    GroupView view(layout, plan, g);
    BigInt group_count = view.Slot(count_slot);
    if (mpz_cmp_ui(group_count.get(), g.records) != 0) {
      return Status::Corruption("result: a group's encrypted record count (" +
                                Decimal(group_count) + ") differs from the " +
                                std::to_string(g.records) +
                                " records the compute party reported; records were dropped or "
                                "duplicated");
    }
    mpz_add(total.get(), total.get(), group_count.get());

    std::vector<int> row_levels;
    if (group_col == nullptr) {
      row_levels.push_back(kWholeGroup);
    } else {
      for (int l = 0; l < levels; ++l) row_levels.push_back(l);
      row_levels.push_back(kNullLevel);
    }
    for (int level : row_levels) {
      BigInt row_count = group_count;
      for (int l = 0; l < levels; ++l) {
        if (level != kNullLevel && level != l) continue;
        BigInt part = view.Slot(layout.Find(SlotKind::kLevel, plan.private_group, "", l));
        if (level == l)
          row_count = part;
        else
          mpz_sub(row_count.get(), row_count.get(), part.get());
      }
      if (group_col != nullptr && mpz_sgn(row_count.get()) == 0)
        continue;  // SQL shows no empty group

      std::vector<Cell> row;
      for (const SelectItem& item : plan.query.items) {
        const std::string& x = item.column;
        switch (item.aggregate) {
          case Aggregate::kNone: {
            if (x == plan.private_group) {
              row.push_back(level >= 0 ? Cell::Text(group_col->levels[static_cast<size_t>(level)])
                                       : Cell::Null());
            } else {
              size_t pos = static_cast<size_t>(
                  std::find(plan.query.group_by.begin(), plan.query.group_by.end(), x) -
                  plan.query.group_by.begin());
              // Position among the public GROUP BY columns.
              size_t public_pos = 0;
              for (size_t i = 0; i < pos; ++i)
                public_pos += plan.query.group_by[i] != plan.private_group;
              const std::string& value = g.key[public_pos];
              row.push_back(value.empty() ? Cell::Null() : Cell::Text(value));
            }
            break;
          }
          case Aggregate::kCountStar:
            row.push_back(Suppress(row_count, options.min_cell) ? Cell::Suppressed()
                                                                : IntegerCell(row_count));
            break;
          case Aggregate::kHistogram: {
            const Column* c = schema.FindColumn(x);
            for (int b = 0; b + 1 < static_cast<int>(c->bins.size()); ++b) {
              BigInt v = view.Slot(layout.Find(SlotKind::kBin, x, "", -1, b));
              row.push_back(Suppress(v, options.min_cell) ? Cell::Suppressed() : IntegerCell(v));
            }
            break;
          }
          default: {
            const VariableCodec* v = layout.FindVariable(x);
            if (v == nullptr) {  // COUNT of a categorical column: its level slots
              BigInt n;
              if (x == plan.private_group) {
                if (level >= 0) n = row_count;
              } else {
                const Column* c = schema.FindColumn(x);
                for (int l = 0; l < static_cast<int>(c->levels.size()); ++l) {
                  BigInt part = view.Slot(layout.Find(SlotKind::kLevel, x, "", l));
                  mpz_add(n.get(), n.get(), part.get());
                }
              }
              row.push_back(Suppress(n, options.min_cell) ? Cell::Suppressed() : IntegerCell(n));
              break;
            }
            Moments m;
            m.n = v->can_be_missing
                      ? view.Value(SlotKind::kObserved, x, plan.private_group, level, levels)
                      : row_count;
            m.sum = view.Value(SlotKind::kSum, x, plan.private_group, level, levels);
            m.sumsq = v->range > 1
                          ? view.Value(SlotKind::kSumSquares, x, plan.private_group, level, levels)
                          : m.sum;
            row.push_back(Suppress(m.n, options.min_cell) ? Cell::Suppressed()
                                                          : Aggregate1(item.aggregate, m, *v));
          }
        }
      }
      table.rows.push_back(std::move(row));
    }
  }
  if (plan.filters.empty() && mpz_cmp_ui(total.get(), dataset_records) != 0) {
    return Status::Corruption(
        "result covers " + Decimal(total) + " records but the dataset manifest lists " +
        std::to_string(dataset_records) + ": records were dropped or duplicated");
  }
  return table;
}

Result<DatasetFacts> ResultFacts(const EncryptedResult& result, const crypto::VerifyKey& owner,
                                 bool allow_unsigned) {
  if (result.manifest_signature.empty()) {
    if (!allow_unsigned) {
      return Status::InvalidArgument(
          "result: its dataset is not signed by the data owner (encrypted with --public-only?), "
          "so its schema and record count cannot be trusted; pass --allow-unsigned to decode "
          "with the compute party's unauthenticated copies");
    }
    DatasetFacts facts;
    facts.name = result.dataset_name;
    facts.key_fingerprint = result.key_fingerprint;
    facts.record_count = result.dataset_records;
    facts.schema = result.schema;
    facts.layout_json = result.layout_json;
    facts.signed_by_owner = false;
    return facts;
  }
  auto facts = VerifyManifestSignature(result.manifest_signature, owner);
  if (!facts.ok()) return facts.status().WithContext("result");
  // The copies the compute party wrote beside the signature must agree with it: a mismatch
  // means the result was edited, and is reported rather than silently corrected.
  if (facts->key_fingerprint != result.key_fingerprint) {
    return Status::Corruption("result: key fingerprint differs from the owner's signed manifest");
  }
  if (SchemaToJson(facts->schema) != SchemaToJson(result.schema)) {
    return Status::Corruption("result: its schema differs from the owner's signed manifest");
  }
  if (facts->record_count != result.dataset_records) {
    return Status::Corruption("result: claims " + std::to_string(result.dataset_records) +
                              " dataset records, the owner's signed manifest lists " +
                              std::to_string(facts->record_count));
  }
  return facts;
}

Result<ResultTable> DecodeResult(const crypto::PublicKey& pk, const DatasetFacts& facts,
                                 const EncryptedResult& result, const SumDecryptor& decrypt,
                                 const ReleaseOptions& options) {
  if (pk.Fingerprint() != facts.key_fingerprint) {
    return Status::InvalidArgument("wrong key: the result was computed under key " +
                                   facts.key_fingerprint.substr(0, 16) + "…, this key is " +
                                   pk.Fingerprint().substr(0, 16) + "…");
  }
  CS_ASSIGN_OR_RETURN(Layout layout,
                      Layout::Build(facts.schema, static_cast<int>(pk.plaintext_bits())));
  CS_RETURN_IF_ERROR(layout.CheckMatches(facts.layout_json).WithContext("result"));
  CS_RETURN_IF_ERROR(layout.CheckMatches(result.layout_json).WithContext("result"));
  CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(result.sql, facts.schema, layout));
  if (plan.ciphertexts != result.ciphertexts) {
    return Status::Corruption("result: the summed ciphertexts are not the ones its query needs");
  }
  std::vector<GroupSums> groups;
  for (const EncryptedGroup& g : result.groups) {
    GroupSums sums;
    sums.key = g.key;
    sums.records = g.records;
    if (g.key.size() != plan.group_public.size()) {
      return Status::Corruption("result: a group key has the wrong number of values");
    }
    if (g.sums.size() != plan.ciphertexts.size()) {
      return Status::Corruption("result: a group has the wrong number of sums");
    }
    for (const crypto::Ciphertext& c : g.sums) {
      CS_ASSIGN_OR_RETURN(BigInt m, decrypt(c));
      if (m.bits() > static_cast<size_t>(layout.plaintext_bits())) {
        return Status::Corruption(
            "result: a decrypted sum overflows its slots (wrong key or tampered result)");
      }
      sums.plaintexts.push_back(std::move(m));
    }
    groups.push_back(std::move(sums));
  }
  CS_ASSIGN_OR_RETURN(ResultTable table, DecodeSums(facts.schema, layout, plan, std::move(groups),
                                                    facts.record_count, options));
  table.key_fingerprint = facts.key_fingerprint;
  return table;
}

Result<ResultTable> DecryptResult(const crypto::SecretKey& sk, const crypto::VerifyKey& owner,
                                  const EncryptedResult& result, const ReleaseOptions& options,
                                  bool allow_unsigned) {
  const crypto::PublicKey& pk = sk.public_key();
  if (pk.Fingerprint() != result.key_fingerprint) {
    return Status::InvalidArgument("wrong key: the result was computed under key " +
                                   result.key_fingerprint.substr(0, 16) + "…, this key is " +
                                   pk.Fingerprint().substr(0, 16) + "…");
  }
  CS_ASSIGN_OR_RETURN(DatasetFacts facts, ResultFacts(result, owner, allow_unsigned));
  return DecodeResult(
      pk, facts, result, [&sk](const crypto::Ciphertext& c) { return crypto::Decrypt(sk, c); },
      options);
}

Result<ResultTable> EvaluatePlaintext(const Schema& schema, const Layout& layout,
                                      const std::string& sql, const std::string& clean_csv,
                                      const ReleaseOptions& options) {
  CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(sql, schema, layout));
  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  CS_RETURN_IF_ERROR(reader.OpenWithHeader(clean_csv, &header));
  CS_ASSIGN_OR_RETURN(RecordEncoder encoder, RecordEncoder::Create(schema, layout, header));
  std::map<std::vector<std::string>, GroupSums> groups;
  std::vector<BigInt> plaintexts;
  std::vector<std::string> public_values;
  uint64_t records = 0;
  while (true) {
    CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
    if (eof) break;
    Status s = encoder.Encode(row, &plaintexts, &public_values);
    if (!s.ok()) return s.WithContext(clean_csv + " line " + std::to_string(reader.line()));
    ++records;
    std::vector<std::string_view> views(public_values.begin(), public_values.end());
    if (!PassesFilters(plan, views)) continue;
    std::vector<std::string> key;
    for (int idx : plan.group_public) key.push_back(public_values[static_cast<size_t>(idx)]);
    GroupSums& g = groups[key];
    if (g.plaintexts.empty()) {
      g.key = key;
      g.plaintexts.resize(plan.ciphertexts.size());
    }
    ++g.records;
    for (size_t i = 0; i < plan.ciphertexts.size(); ++i) {
      const BigInt& p = plaintexts[static_cast<size_t>(plan.ciphertexts[i])];
      mpz_add(g.plaintexts[i].get(), g.plaintexts[i].get(), p.get());
    }
  }
  std::vector<GroupSums> list;
  for (auto& [key, g] : groups) list.push_back(std::move(g));
  return DecodeSums(schema, layout, plan, std::move(list), records, options);
}

}  // namespace cipherstat
