#include "query/plan.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace cipherstat {

namespace {

Status Unanswerable(const std::string& why) { return Status::InvalidArgument("query: " + why); }

bool ParseDouble(std::string_view text, double* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<Plan> MakePlan(const std::string& sql, const Catalog& catalog, const Layout& layout) {
  Plan plan;
  plan.sql = sql;
  CS_ASSIGN_OR_RETURN(plan.query, ParseSql(sql));
  const Query& q = plan.query;
  if (q.table != catalog.name) {
    return Unanswerable("unknown table '" + q.table + "'; this dataset is '" + catalog.name + "'");
  }
  plan.public_columns = catalog.PublicColumns();
  auto public_index = [&](const std::string& name) {
    auto it = std::find(plan.public_columns.begin(), plan.public_columns.end(), name);
    return it == plan.public_columns.end() ? -1
                                           : static_cast<int>(it - plan.public_columns.begin());
  };

  for (const Condition& cond : q.where) {
    int idx = public_index(cond.column);
    if (idx < 0) {
      if (catalog.FindColumn(cond.column) == nullptr && !catalog.IsDerived(cond.column)) {
        return Unanswerable("WHERE: unknown column '" + cond.column + "'");
      }
      return Unanswerable("WHERE on private column '" + cond.column +
                          "': the compute party cannot see it; mark it \"public\": true in the "
                          "schema (stored in plaintext) or GROUP BY it instead");
    }
    plan.filters.push_back({idx, cond, catalog.FindColumn(cond.column)->numeric()});
  }

  std::set<std::string> seen_group;
  for (const std::string& g : q.group_by) {
    if (!seen_group.insert(g).second) return Unanswerable("GROUP BY lists '" + g + "' twice");
    int idx = public_index(g);
    if (idx >= 0) {
      plan.group_public.push_back(idx);
      continue;
    }
    const CatalogColumn* c = catalog.FindColumn(g);
    if (c == nullptr) return Unanswerable("GROUP BY: unknown column '" + g + "'");
    if (c->kind == ColumnKind::kIdentifier)
      return Unanswerable("GROUP BY: '" + g + "' is an identifier and never leaves the owner");
    if (c->kind == ColumnKind::kExcluded)
      return Unanswerable("GROUP BY: '" + g +
                          "' is excluded (not encrypted, never shipped); make it \"categorical\" "
                          "with its levels in the schema to group by it");
    if (c->levels == 0) {
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
    const CatalogColumn* c = catalog.FindColumn(plan.private_group);
    for (int l = 0; l < c->levels; ++l) {
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
    const ItemContext context = PlanningContext(item, plan.private_group, catalog, layout);
    Status s = FindAggregate(item.aggregate)->slots(context, &slots);
    if (s.code() == Status::Code::kNotFound) {
      return Status::Corruption("layout lacks a slot for '" + s.message() + "'");
    }
    CS_RETURN_IF_ERROR(s);
  }
  // A test across the groups releases one row for the whole table (query/compare.h).
  for (const SelectItem& item : q.items) {
    const AggregateSpec* spec = FindAggregate(item.aggregate);
    if (spec == nullptr || !spec->across_groups) continue;
    const std::string call = AggregateName(item.aggregate) + "(" + item.column + ")";
    if (q.group_by.empty()) {
      return Unanswerable(call + " compares the groups of a GROUP BY; add GROUP BY the column " +
                          "whose groups it compares");
    }
    for (const SelectItem& other : q.items) {
      const AggregateSpec* o = FindAggregate(other.aggregate);
      if (o == nullptr || !o->across_groups) {
        return Unanswerable(call + " releases one row for all the groups; select it with other " +
                            "tests (TTEST, ANOVA, CHISQ) only, and per-group columns such as '" +
                            other.label + "' in another query");
      }
    }
  }
  std::set<int> cts;
  for (int s : slots) cts.insert(layout.slots()[static_cast<size_t>(s)].ciphertext);
  plan.ciphertexts.assign(cts.begin(), cts.end());
  plan.slots.assign(slots.begin(), slots.end());
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
