#include "query/plan.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace cipherstat {

namespace {

Status Unanswerable(const std::string& why) { return Status::InvalidArgument("query: " + why); }

std::string CrossHint(const std::string& by, const std::string& over) {
  return "add {\"by\": \"" + by + "\", \"over\": [\"" + over +
         "\"]} to the schema's \"crosses\" and re-encrypt";
}

// Collects the slots an aggregate needs; errors explain what the schema lacks.
Status SlotsFor(const SelectItem& item, const std::string& group, const Schema& schema,
                const Layout& layout, std::set<int>* slots) {
  auto need = [&](SlotKind kind, const std::string& variable, const std::string& by, int level,
                  int bin) -> Status {
    int s = layout.Find(kind, variable, by, level, bin);
    if (s < 0) return Status::NotFound(variable);
    slots->insert(s);
    return Status::OK();
  };
  const std::string& x = item.column;
  switch (item.aggregate) {
    case Aggregate::kNone:
    case Aggregate::kCountStar:
      return Status::OK();
    case Aggregate::kMin:
    case Aggregate::kMax:
      return Unanswerable(AggregateName(item.aggregate) +
                          "() cannot be computed from encrypted sums; HISTOGRAM(" + x +
                          ") over declared \"bins\" shows the distribution instead");
    case Aggregate::kHistogram: {
      const Column* c = schema.FindColumn(x);
      if (c == nullptr || !c->numeric() || c->is_public || c->bins.empty()) {
        return Unanswerable("HISTOGRAM(" + x +
                            ") needs \"bins\" declared on private numeric column '" + x +
                            "' in the schema");
      }
      if (!group.empty()) {
        return Unanswerable("HISTOGRAM(" + x + ") cannot be grouped by private column '" + group +
                            "'; group by a public column instead");
      }
      for (int b = 0; b + 1 < static_cast<int>(c->bins.size()); ++b) {
        CS_RETURN_IF_ERROR(need(SlotKind::kBin, x, "", -1, b));
      }
      return Status::OK();
    }
    default:
      break;
  }
  const VariableCodec* v = layout.FindVariable(x);
  if (v == nullptr) {
    const Column* c = schema.FindColumn(x);
    if (item.aggregate == Aggregate::kCount && c != nullptr && c->groupable() && !c->is_public &&
        (group.empty() || group == x)) {
      for (int l = 0; l < static_cast<int>(c->levels.size()); ++l) {
        CS_RETURN_IF_ERROR(need(SlotKind::kLevel, x, "", l, -1));
      }
      return Status::OK();
    }
    if (c == nullptr) return Unanswerable("unknown column '" + x + "'");
    if (c->is_public) {
      return Unanswerable(AggregateName(item.aggregate) + "(" + x + "): '" + x +
                          "' is a public column; aggregates run over private numeric columns");
    }
    return Unanswerable(AggregateName(item.aggregate) + "(" + x + "): '" + x +
                        "' is not numeric in the schema");
  }
  std::vector<int> levels = {-1};
  if (!group.empty()) {
    if (!schema.HasCross(group, x))
      return Unanswerable("GROUP BY " + group + " over " + x + ": " + CrossHint(group, x));
    levels.clear();
    for (int l = 0; l < static_cast<int>(schema.FindColumn(group)->levels.size()); ++l)
      levels.push_back(l);
  }
  for (int l : levels) {
    if (v->can_be_missing) CS_RETURN_IF_ERROR(need(SlotKind::kObserved, x, group, l, -1));
    CS_RETURN_IF_ERROR(need(SlotKind::kSum, x, group, l, -1));
    if (v->range > 1) CS_RETURN_IF_ERROR(need(SlotKind::kSumSquares, x, group, l, -1));
  }
  // NULL-group values are totals minus the levels' sums.
  if (!group.empty()) {
    if (v->can_be_missing) CS_RETURN_IF_ERROR(need(SlotKind::kObserved, x, "", -1, -1));
    CS_RETURN_IF_ERROR(need(SlotKind::kSum, x, "", -1, -1));
    if (v->range > 1) CS_RETURN_IF_ERROR(need(SlotKind::kSumSquares, x, "", -1, -1));
  }
  return Status::OK();
}

bool ParseDouble(std::string_view text, double* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<Plan> MakePlan(const std::string& sql, const Schema& schema, const Layout& layout) {
  Plan plan;
  plan.sql = sql;
  CS_ASSIGN_OR_RETURN(plan.query, ParseSql(sql));
  const Query& q = plan.query;
  if (q.table != schema.name) {
    return Unanswerable("unknown table '" + q.table + "'; this dataset is '" + schema.name + "'");
  }
  for (const Column& c : schema.columns) {
    if (c.is_public) plan.public_columns.push_back(c.name);
  }
  auto public_index = [&](const std::string& name) {
    auto it = std::find(plan.public_columns.begin(), plan.public_columns.end(), name);
    return it == plan.public_columns.end() ? -1
                                           : static_cast<int>(it - plan.public_columns.begin());
  };

  for (const Condition& cond : q.where) {
    int idx = public_index(cond.column);
    if (idx < 0) {
      if (schema.FindColumn(cond.column) == nullptr && schema.FindDerived(cond.column) == nullptr) {
        return Unanswerable("WHERE: unknown column '" + cond.column + "'");
      }
      return Unanswerable("WHERE on private column '" + cond.column +
                          "': the compute party cannot see it; mark it \"public\": true in the "
                          "schema (stored in plaintext) or GROUP BY it instead");
    }
    plan.filters.push_back({idx, cond, schema.FindColumn(cond.column)->numeric()});
  }

  std::set<std::string> seen_group;
  for (const std::string& g : q.group_by) {
    if (!seen_group.insert(g).second) return Unanswerable("GROUP BY lists '" + g + "' twice");
    int idx = public_index(g);
    if (idx >= 0) {
      plan.group_public.push_back(idx);
      continue;
    }
    const Column* c = schema.FindColumn(g);
    if (c == nullptr) return Unanswerable("GROUP BY: unknown column '" + g + "'");
    if (c->kind == ColumnKind::kIdentifier)
      return Unanswerable("GROUP BY: '" + g + "' is an identifier and never leaves the owner");
    if (!c->groupable()) {
      return Unanswerable("GROUP BY " + g +
                          ": the column has no \"levels\" in the schema; "
                          "declare its levels (and crosses) to group by it");
    }
    if (!plan.private_group.empty()) {
      return Unanswerable(
          "GROUP BY " + plan.private_group + ", " + g +
          ": at most one private column can be grouped by; make the other \"public\"");
    }
    plan.private_group = g;
  }

  std::set<int> slots = {layout.Find(SlotKind::kCount, "")};
  if (!plan.private_group.empty()) {
    const Column* c = schema.FindColumn(plan.private_group);
    for (int l = 0; l < static_cast<int>(c->levels.size()); ++l) {
      slots.insert(layout.Find(SlotKind::kLevel, plan.private_group, "", l));
    }
  }
  if (q.items.empty()) return Unanswerable("nothing to select");
  for (const SelectItem& item : q.items) {
    if (item.aggregate == Aggregate::kNone) {
      if (!seen_group.count(item.column)) {
        return Unanswerable("column '" + item.column +
                            "' must appear in GROUP BY or be used in an aggregate");
      }
      continue;
    }
    Status s = SlotsFor(item, plan.private_group, schema, layout, &slots);
    if (s.code() == Status::Code::kNotFound) {
      return Status::Corruption("layout lacks a slot for '" + s.message() + "'");
    }
    CS_RETURN_IF_ERROR(s);
  }
  std::set<int> cts;
  for (int s : slots) cts.insert(layout.slots()[static_cast<size_t>(s)].ciphertext);
  plan.ciphertexts.assign(cts.begin(), cts.end());
  return plan;
}

bool PassesFilters(const Plan& plan, const std::vector<std::string_view>& public_values) {
  for (const PublicFilter& f : plan.filters) {
    std::string_view value = public_values[static_cast<size_t>(f.public_index)];
    if (value.empty()) return false;  // NULL compares as unknown
    const Condition& c = f.condition;
    int cmp;
    double a, b;
    if ((f.numeric || !c.is_string) && ParseDouble(value, &a) && ParseDouble(c.literal, &b)) {
      cmp = a < b ? -1 : (a > b ? 1 : 0);
    } else {
      int r = value.compare(c.literal);
      cmp = r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
    bool pass = (c.op == "=" && cmp == 0) || (c.op == "<>" && cmp != 0) ||
                (c.op == "<" && cmp < 0) || (c.op == "<=" && cmp <= 0) ||
                (c.op == ">" && cmp > 0) || (c.op == ">=" && cmp >= 0);
    if (!pass) return false;
  }
  return true;
}

}  // namespace cipherstat
