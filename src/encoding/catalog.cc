#include "encoding/catalog.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "util/json.h"

namespace cipherstat {

const CatalogColumn* Catalog::FindColumn(const std::string& column) const {
  for (const CatalogColumn& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

bool Catalog::IsDerived(const std::string& indicator) const {
  return std::find(derived.begin(), derived.end(), indicator) != derived.end();
}

bool Catalog::HasCross(const std::string& by, const std::string& over) const {
  for (const Cross& cross : crosses) {
    if (cross.by == by && std::find(cross.over.begin(), cross.over.end(), over) != cross.over.end())
      return true;
  }
  return false;
}

const Survival* Catalog::FindSurvival(const std::string& time, const std::string& event) const {
  for (const Survival& sv : survival) {
    if (sv.time == time && sv.event == event) return &sv;
  }
  return nullptr;
}

std::vector<std::string> Catalog::PublicColumns() const {
  std::vector<std::string> out;
  for (const CatalogColumn& c : columns) {
    if (c.is_public) out.push_back(c.name);
  }
  return out;
}

Catalog CatalogOf(const Schema& schema) {
  Catalog out;
  out.name = schema.name;
  for (const Column& c : schema.columns) {
    // A date is a number to the compute party: it sums day numbers like any other value.
    CatalogColumn column{c.name, c.date() ? ColumnKind::kNumeric : c.kind, c.is_public};
    if (!c.is_public && c.shipped()) {
      column.levels = static_cast<int>(c.levels.size());
      if (c.numeric() && c.bins.size() > 1) column.bins = static_cast<int>(c.bins.size()) - 1;
    }
    out.columns.push_back(std::move(column));
  }
  for (const Derived& d : schema.derived) out.derived.push_back(d.name);
  out.crosses = schema.crosses;
  out.products = schema.products;
  out.survival = schema.survival;
  return out;
}

std::string CatalogToJson(const Catalog& catalog) {
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const CatalogColumn& c : catalog.columns) {
    nlohmann::ordered_json j;
    j["name"] = c.name;
    j["kind"] = ColumnKindName(c.kind);
    if (c.is_public) j["public"] = true;
    if (c.levels > 0) j["levels"] = c.levels;
    if (c.bins > 0) j["bins"] = c.bins;
    columns.push_back(std::move(j));
  }
  nlohmann::ordered_json crosses = nlohmann::ordered_json::array();
  for (const Cross& cross : catalog.crosses) {
    crosses.push_back({{"by", cross.by}, {"over", cross.over}});
  }
  nlohmann::ordered_json j;
  j["name"] = catalog.name;
  j["columns"] = std::move(columns);
  j["derived"] = catalog.derived;
  j["crosses"] = std::move(crosses);
  if (!catalog.products.empty()) j["products"] = catalog.products;
  if (!catalog.survival.empty()) {
    nlohmann::ordered_json survival = nlohmann::ordered_json::array();
    for (const Survival& sv : catalog.survival)
      survival.push_back({{"time", sv.time}, {"event", sv.event}, {"by", sv.by}});
    j["survival"] = std::move(survival);
  }
  return j.dump();
}

Result<Catalog> CatalogFromJson(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& what) { return Status::Corruption("catalog: " + what); };
  if (!j.is_object()) return bad("not a JSON object");
  try {
    Catalog out;
    out.name = j.at("name").get<std::string>();
    std::set<std::string> names;
    for (const auto& c : j.at("columns")) {
      CatalogColumn column;
      column.name = c.at("name").get<std::string>();
      const std::string kind = c.at("kind").get<std::string>();
      bool known = false;
      for (ColumnKind k : {ColumnKind::kIdentifier, ColumnKind::kNumeric, ColumnKind::kCategorical,
                           ColumnKind::kExcluded}) {
        if (kind == ColumnKindName(k)) column.kind = k, known = true;
      }
      if (!known)
        return bad("column '" + QuoteInput(column.name) + "' has unknown kind '" +
                   QuoteInput(kind) + "'");
      column.is_public = c.value("public", false);
      column.levels = c.value("levels", 0);
      column.bins = c.value("bins", 0);
      if (column.name.empty() || !names.insert(column.name).second || column.levels < 0 ||
          column.bins < 0) {
        return bad("column '" + QuoteInput(column.name) + "' is repeated or malformed");
      }
      out.columns.push_back(std::move(column));
    }
    out.derived = j.at("derived").get<std::vector<std::string>>();
    for (const std::string& d : out.derived) {
      if (d.empty() || !names.insert(d).second)
        return bad("derived '" + QuoteInput(d) + "' is repeated");
    }
    // Products before crosses: a cross may name one.
    if (j.contains("products")) {
      for (const auto& p : j.at("products")) {
        ProductSet product = p.get<ProductSet>();
        std::set<std::string> members;
        for (const std::string& m : product) {
          if (names.count(m) == 0 || m.find('*') != std::string::npos || !members.insert(m).second)
            return bad("product over unknown or repeated '" + QuoteInput(m) + "'");
        }
        if (product.size() < 2 || !names.insert(ProductKey(product)).second)
          return bad("product '" + QuoteInput(ProductKey(product)) + "' is repeated or malformed");
        out.products.push_back(std::move(product));
      }
    }
    for (const auto& x : j.at("crosses")) {
      Cross cross{x.at("by").get<std::string>(), x.at("over").get<std::vector<std::string>>()};
      const CatalogColumn* by = out.FindColumn(cross.by);
      if (by == nullptr || by->levels == 0)
        return bad("cross by unknown '" + QuoteInput(cross.by) + "'");
      for (const std::string& over : cross.over) {
        if (names.count(over) == 0) return bad("cross over unknown '" + QuoteInput(over) + "'");
      }
      out.crosses.push_back(std::move(cross));
    }
    if (j.contains("survival")) {
      for (const auto& x : j.at("survival")) {
        Survival sv{x.at("time").get<std::string>(), x.at("event").get<std::string>(),
                    x.at("by").get<std::vector<std::string>>()};
        const CatalogColumn* time = out.FindColumn(sv.time);
        const CatalogColumn* event = out.FindColumn(sv.event);
        const bool event_known = event != nullptr ? event->numeric() : out.IsDerived(sv.event);
        if (time == nullptr || time->bins == 0 || !event_known ||
            out.FindSurvival(sv.time, sv.event) != nullptr)
          return bad("survival over unknown or repeated '" + QuoteInput(sv.time) + "'");
        for (const std::string& by : sv.by) {
          const CatalogColumn* g = out.FindColumn(by);
          if (g == nullptr || g->levels == 0)
            return bad("survival by unknown '" + QuoteInput(by) + "'");
        }
        out.survival.push_back(std::move(sv));
      }
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return bad(JsonErrorText(e));
  }
}

std::vector<std::string> DescribeCatalog(const Catalog& catalog) {
  std::vector<std::string> lines;
  for (const CatalogColumn& c : catalog.columns) {
    std::string line = c.name + ": ";
    if (c.kind == ColumnKind::kIdentifier) {
      line += "identifier, never shipped";
    } else if (c.kind == ColumnKind::kExcluded) {
      line += "excluded, never shipped";
    } else if (c.is_public) {
      line += std::string("public ") + ColumnKindName(c.kind) +
              ", its values in plaintext in every record";
    } else {
      line += std::string("private ") + ColumnKindName(c.kind) + ", encrypted";
      if (c.levels > 0) line += "; " + std::to_string(c.levels) + " levels, by number only";
      if (c.bins > 0) line += "; " + std::to_string(c.bins) + " histogram bins, by number only";
    }
    lines.push_back(std::move(line));
  }
  for (const std::string& d : catalog.derived) {
    lines.push_back(d + ": private 0/1 indicator, encrypted; its rule is sealed");
  }
  for (const Survival& sv : catalog.survival) {
    lines.push_back(sv.time + " with " + sv.event +
                    ": encrypted counts of records leaving follow-up and of events per bin" +
                    (sv.by.empty() ? std::string() : ", per level of each of its \"by\" columns"));
  }
  for (const ProductSet& p : catalog.products) {
    lines.push_back(ProductKey(p) +
                    ": encrypted cross products, sums and counts over the records where all are "
                    "present");
  }
  return lines;
}

}  // namespace cipherstat
