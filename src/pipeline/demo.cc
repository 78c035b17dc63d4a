#include "pipeline/demo.h"

#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audit/log.h"
#include "crypto/hash.h"
#include "data/clean.h"
#include "data/generate.h"
#include "pipeline/encrypt.h"
#include "pipeline/keys.h"
#include "pipeline/publish.h"
#include "pipeline/query.h"
#include "pipeline/release.h"
#include "pipeline/table1.h"
#include "query/decode.h"
#include "report/format.h"
#include "report/html.h"
#include "report/render.h"
#include "store/dataset.h"
#include "store/encrypt.h"
#include "util/file.h"

namespace cipherstat::pipeline {

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    out += "    " + text.substr(start, nl - start + 1);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

bool SameCell(const Cell& a, const Cell& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Cell::Kind::kInteger:
      return a.integer == b.integer;
    case Cell::Kind::kReal:
      return a.real == b.real || std::fabs(a.real - b.real) <= 1e-12 * std::fabs(b.real);
    case Cell::Kind::kText:
      return a.text == b.text;
    default:
      return true;
  }
}

bool SameTable(const ResultTable& a, const ResultTable& b) {
  if (a.columns != b.columns || a.rows.size() != b.rows.size()) return false;
  for (size_t r = 0; r < a.rows.size(); ++r) {
    if (a.rows[r].size() != b.rows[r].size()) return false;
    for (size_t c = 0; c < a.rows[r].size(); ++c) {
      if (!SameCell(a.rows[r][c], b.rows[r][c])) return false;
    }
  }
  return true;
}

// Table 1 by arm, as `report --table1 arm` writes it: every figure a release of its own.
Status DemoTable1(const Dataset& dataset, Decryptor& decryptor, const ReleaseRules& rules,
                  const audit::Trail& trail, const std::string& work, const DemoOptions& o) {
  EngineSettings settings;
  if (o.threads > 0) settings["--threads"] = {std::to_string(o.threads)};
  CS_ASSIGN_OR_RETURN(auto engine, MakeEngine("local", settings));
  const Table1Spec spec = DemoTable1Spec();
  const auto t = std::chrono::steady_clock::now();
  CS_ASSIGN_OR_RETURN(Table1Run run, BuildTable1(dataset, decryptor, spec, rules, &trail, *engine));
  const std::string path = work + "/table1.html";
  const std::string html = RenderTable1(run.table, "html", "Table 1: the cohort by arm");
  CS_RETURN_IF_ERROR(
      Publish(trail,
              audit::EventOf("release")
                  .Key(dataset.manifest.key_fingerprint)
                  .Dataset(run.facts.content_sha256)
                  .ResultDigest(Sha256Hex(html))
                  .Detail("demo Table 1 by arm of " + std::to_string(run.table.queries.size()) +
                          " queries; " + run.ledger_entries),
              html, path, /*force=*/false));
  std::fprintf(o.out,
               "Table 1 by arm (report --table1 arm): %zu encrypted queries, each verified and "
               "released, in %.1f s:\n%s",
               run.table.queries.size(), Seconds(t), Indent(RenderTable1Text(run.table)).c_str());
  std::fprintf(o.out, "Table 1 (HTML): %s\n", path.c_str());
  return Status::OK();
}

}  // namespace

Result<Schema> DemoSchema(const std::string& raw, bool generated) {
  InferOptions infer;
  if (generated) infer.products = {{"cd4", "log10_vl"}, {"cd4", "log10_vl", "age"}};
  CS_ASSIGN_OR_RETURN(Schema schema, InferSchema(raw, infer));
  if (!generated) return schema;
  // Follow-up in 12-month bins, for Kaplan–Meier curves and the log-rank test by arm.
  for (Column& c : schema.columns) {
    if (c.name != "months_followed") continue;
    c.bins.clear();
    for (int month = 0; month <= 60; month += 12) c.bins.push_back(month);
    c.bins.push_back(INFINITY);
  }
  schema.survival = {{"months_followed", "died", {"arm"}}};
  CS_RETURN_IF_ERROR(ValidateSchema(schema));
  return schema;
}

std::vector<std::string> DemoQueries(const Schema& schema, const Layout& layout, bool generated) {
  if (generated) {
    return {
        "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4), AVG(viral_suppressed) FROM cohort GROUP BY "
        "arm",
        "SELECT HISTOGRAM(cd4) FROM cohort",
        "SELECT site, COUNT(*), AVG(age) FROM cohort GROUP BY site",
        "SELECT sex, COUNT(*), AVG(log10_vl), VARIANCE(age), COUNT(cd4) FROM cohort GROUP BY sex",
        "SELECT arm, KAPLAN_MEIER(months_followed, died) AS survival, AT_RISK(months_followed, "
        "died) AS at_risk FROM cohort GROUP BY arm",
        "SELECT LOGRANK(months_followed, died) FROM cohort GROUP BY arm",
        "SELECT CORR(cd4, log10_vl) AS r, REGR_SLOPE(cd4, log10_vl) AS slope, REGR_COUNT(cd4, "
        "log10_vl) AS n FROM cohort",
        "SELECT LINREG(cd4, log10_vl, age) AS cd4 FROM cohort",
    };
  }
  std::vector<std::string> queries;
  std::string first_numeric;
  for (const VariableCodec& v : layout.variables()) {
    first_numeric = v.name;
    break;
  }
  if (first_numeric.empty()) return {"SELECT COUNT(*) FROM " + schema.name};
  queries.push_back("SELECT COUNT(*), COUNT(" + first_numeric + "), AVG(" + first_numeric +
                    "), STDDEV(" + first_numeric + ") FROM " + schema.name);
  for (const Cross& cross : schema.crosses) {
    if (cross.over.empty()) continue;
    const std::string& x = cross.over.front();
    queries.push_back("SELECT " + cross.by + ", COUNT(*), AVG(" + x + "), STDDEV(" + x + ") FROM " +
                      schema.name + " GROUP BY " + cross.by);
    break;
  }
  for (const Column& c : schema.columns) {
    if (!c.bins.empty() && !c.is_public) {
      queries.push_back("SELECT HISTOGRAM(" + c.name + ") FROM " + schema.name);
      break;
    }
  }
  return queries;
}

Table1Spec DemoTable1Spec() {
  Table1Spec spec;
  spec.group = "arm";
  spec.columns = {"age", "cd4", "log10_vl", "viral_suppressed", "months_followed", "died"};
  return spec;
}

Status RunDemo(const DemoOptions& o, const audit::Trail& user_trail) {
  std::string work = o.workdir;
  if (work.empty()) {
    std::string templ = std::filesystem::temp_directory_path().string() + "/cipherstat-demo-XXXXXX";
    std::vector<char> name(templ.begin(), templ.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr) return Status::IOError("cannot create a demo folder");
    work = name.data();
  } else {
    // A new or empty folder, so that no file the demo writes replaces one it did not create.
    CS_RETURN_IF_ERROR(CheckNewFolder(work));
    std::error_code ec;
    std::filesystem::create_directories(work, ec);
    if (ec) return Status::IOError(work + ": " + ec.message());
    const std::filesystem::directory_iterator first(work, ec);
    if (ec) return Status::IOError(work + ": " + ec.message());
    if (first != std::filesystem::directory_iterator()) {
      return Status::AlreadyExists(first->path().string() +
                                   ": the demo folder is not empty; use a new --workdir");
    }
  }
  std::fprintf(o.out, "cipherstat demo — working in %s\n\n", work.c_str());
  // The demo's throwaway key and data get their own log, signed with your audit key, so they
  // do not clutter your real one; it is verified at the end.
  const std::string audit_log = work + "/audit.jsonl";
  const audit::Trail trail = user_trail.WithLog(audit_log);

  const bool generated = o.data.empty();
  std::string raw = o.data;
  auto t = std::chrono::steady_clock::now();
  if (generated) {
    raw = work + "/cohort.csv";
    CS_RETURN_IF_ERROR(
        GenerateCohort({.records = o.records, .seed = o.seed, .follow_up = true}, raw));
    std::fprintf(o.out,
                 "[owner]   generated a synthetic HIV cohort of %llu patients (seed %llu): %s\n",
                 static_cast<unsigned long long>(o.records),
                 static_cast<unsigned long long>(o.seed), raw.c_str());
  }

  // The demo's passphrase is random and lives only in this process's locked memory.
  unsigned char secret[24];
  randombytes_buf(secret, sizeof secret);
  char hex[sizeof secret * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, secret, sizeof secret);
  crypto::Passphrase passphrase(hex);
  sodium_memzero(secret, sizeof secret);
  sodium_memzero(hex, sizeof hex);

  t = std::chrono::steady_clock::now();
  const std::string keys = work + "/keys";
  CS_ASSIGN_OR_RETURN(crypto::OwnerKey owner,
                      CreateOwnerKey(keys, o.bits, passphrase, crypto::FastKdfLimits(), trail));
  const crypto::SecretKey& sk = owner.paillier;
  std::fprintf(o.out, "[owner]   %d-bit Paillier key %.16s… in %s (%.1f s)\n", o.bits,
               sk.public_key().Fingerprint().c_str(), keys.c_str(), Seconds(t));

  CS_ASSIGN_OR_RETURN(Schema schema, DemoSchema(raw, generated));
  const std::string schema_path = work + "/schema.json";
  CS_RETURN_IF_ERROR(WriteFileAtomic(schema_path, SchemaToJson(schema)));
  std::fprintf(o.out, "[owner]   inferred schema '%s' (%zu columns, %zu crosses): %s\n",
               schema.name.c_str(), schema.columns.size(), schema.crosses.size(),
               schema_path.c_str());

  const std::string clean = work + "/clean.csv";
  CleanReport report;
  CS_RETURN_IF_ERROR(CleanCsv(schema, raw, clean, &report));
  CS_RETURN_IF_ERROR(WriteFileAtomic(work + "/clean-report.json", report.ToJson()));
  std::fprintf(
      o.out,
      "[owner]   cleaned: %llu rows read, %llu kept, %llu dropped (report: %s/clean-report.json)\n",
      static_cast<unsigned long long>(report.rows_read),
      static_cast<unsigned long long>(report.rows_written),
      static_cast<unsigned long long>(report.rows_dropped), work.c_str());

  t = std::chrono::steady_clock::now();
  const std::string dataset_path = work + "/dataset";
  EncryptOptions enc;
  enc.threads = o.threads;
  enc.clean = EncryptOptions::CleanCounts{report.rows_read, report.rows_written};
  enc.progress = [&](uint64_t done) {
    if (o.progress != nullptr)
      std::fprintf(o.progress, "\r          encrypting %llu / %llu",
                   static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(report.rows_written));
  };
  const EncryptKeys keys_used{nullptr, &sk, &owner.signing, "the demo key"};
  CS_ASSIGN_OR_RETURN(Encrypted written,
                      EncryptWithKeys(schema, keys_used, clean, dataset_path, enc, trail));
  const EncryptStats& stats = written.stats;
  if (o.progress != nullptr) std::fprintf(o.progress, "\r");
  const double enc_seconds = Seconds(t);
  std::fprintf(
      o.out,
      "[owner]   encrypted %llu records, %d ciphertexts each (packing density %.0f%%), in %.1f s "
      "(%.0f records/s): %s\n\n",
      static_cast<unsigned long long>(stats.records), stats.ciphertexts_per_record,
      100 * stats.packing_density, enc_seconds, static_cast<double>(stats.records) / enc_seconds,
      dataset_path.c_str());

  CS_ASSIGN_OR_RETURN(Dataset dataset, OpenDataset(dataset_path));
  // The owner's layout, with the codecs the compute party's (dataset.layout) lacks.
  CS_ASSIGN_OR_RETURN(Layout layout,
                      Layout::Build(schema, static_cast<int>(sk.public_key().plaintext_bits())));
  ReleaseRules rules;
  const ReleaseOptions& release = rules.cells;
  OwnerDecryptor decryptor(owner);
  bool all_match = true;
  int index = 0;
  std::vector<ReportSection> sections;
  for (const std::string& sql : DemoQueries(schema, layout, generated)) {
    ++index;
    std::fprintf(o.out, "Query %d: %s\n", index, sql.c_str());
    t = std::chrono::steady_clock::now();
    // Compute party: public key and dataset only.
    const std::string result_path = work + "/result-" + std::to_string(index) + ".json";
    QueryRequest query{dataset_path, sql, result_path, "local", {}};
    if (o.threads > 0) query.settings["--threads"] = {std::to_string(o.threads)};
    CS_ASSIGN_OR_RETURN(EngineRun run, RunQuery(query, {}, trail));
    const EncryptedResult& result = run.result;
    const double query_seconds = Seconds(t);
    // Owner: decrypt and release, as `decrypt --format json` would.
    CS_ASSIGN_OR_RETURN(std::string text, ReadFile(result_path));
    CS_ASSIGN_OR_RETURN(LoadedResult loaded, ParseResult(text, result_path, sk.public_key()));
    CS_ASSIGN_OR_RETURN(Released released, OpenResult(loaded, decryptor, rules, &trail));
    const ResultTable& encrypted = released.table;
    const std::string released_path = work + "/released-" + std::to_string(index) + ".json";
    CS_RETURN_IF_ERROR(Publish(trail,
                               audit::EventOf("decrypt")
                                   .Key(sk.public_key().Fingerprint())
                                   .Dataset(released.facts.content_sha256)
                                   .ResultDigest(loaded.sha256)
                                   .Query(loaded.result.sql)
                                   .Detail("demo release to the terminal and " + released_path +
                                           "; " + released.ledger_entry),
                               RenderJson(encrypted), released_path, /*force=*/false));
    CS_ASSIGN_OR_RETURN(ResultTable plain,
                        EvaluatePlaintext(schema, layout.plaintext_bits(), sql, clean, release));
    const bool match = SameTable(encrypted, plain);
    sections.push_back({"", encrypted});
    all_match = all_match && match;
    std::fprintf(o.out, "  [compute] %llu encrypted records summed in %.2f s → %s\n",
                 static_cast<unsigned long long>(result.records_read), query_seconds,
                 result_path.c_str());
    std::fprintf(o.out,
                 "  [owner]   decrypted and released (cells under %llu records suppressed):\n",
                 static_cast<unsigned long long>(encrypted.min_cell));
    std::fprintf(o.out, "%s", Indent(RenderText(encrypted)).c_str());
    std::fprintf(o.out, "  [check]   the same query on the plaintext CSV:\n%s",
                 Indent(RenderText(plain)).c_str());
    std::fprintf(o.out, "  %s\n\n",
                 match ? "MATCH: encrypted result equals the plaintext computation"
                       : "MISMATCH: encrypted and plaintext results differ");
  }
  if (!all_match) return Status::Corruption("encrypted and plaintext results differ");
  audit::VerifyOptions check;
  if (std::string anchor = trail.OwnAnchor(audit_log); !anchor.empty()) {
    check.anchor_files.push_back(anchor);
  }
  CS_ASSIGN_OR_RETURN(audit::VerifyReport audited, audit::VerifyLog(audit_log, check));
  if (!audited.ok()) {
    return Status::Corruption(audit_log + " line " + std::to_string(audited.bad_line) + ": " +
                              audited.problem);
  }
  std::fprintf(o.out, "[audit]   %llu signed, hash-chained entries in %s verify\n",
               static_cast<unsigned long long>(audited.entries), audit_log.c_str());
  ReportContext context;
  context.title = "cipherstat demo: " + schema.name;
  context.generated_at = ReportTime();
  context.schema = &schema;
  const std::string report_path = work + "/report.html";
  CS_RETURN_IF_ERROR(WriteFileAtomic(report_path, RenderHtmlReport(sections, context)));
  std::fprintf(o.out, "All %d queries match. Files are in %s\n", index, work.c_str());
  std::fprintf(o.out, "Report (HTML, open in a browser): %s\n\n", report_path.c_str());
  if (generated) CS_RETURN_IF_ERROR(DemoTable1(dataset, decryptor, rules, trail, work, o));
  return Status::OK();
}

}  // namespace cipherstat::pipeline
