#include "pipeline/report.h"

#include <cctype>

#include "crypto/hash.h"
#include "crypto/key_dir.h"
#include "pipeline/query.h"
#include "query/plan.h"
#include "report/format.h"
#include "store/result_file.h"
#include "util/file.h"

namespace cipherstat::pipeline {

namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool StartsWithSelect(const std::string& s) {
  if (s.size() < 6) return false;
  for (size_t i = 0; i < 6; ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != "SELECT"[i]) return false;
  }
  return s.size() == 6 || !std::isalnum(static_cast<unsigned char>(s[6]));
}

}  // namespace

Result<std::vector<ReportQuery>> ParseReportQueries(const std::string& text,
                                                    const std::string& path) {
  std::vector<ReportQuery> queries;
  size_t start = 0;
  int line_no = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = Trim(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    ReportQuery q;
    q.line = line_no;
    if (StartsWithSelect(line)) {
      q.sql = line;
    } else {
      // The title ends at the first colon followed by SELECT, so titles may hold colons.
      size_t colon = line.find(':');
      while (colon != std::string::npos && !StartsWithSelect(Trim(line.substr(colon + 1))))
        colon = line.find(':', colon + 1);
      if (colon == std::string::npos) {
        return Status::InvalidArgument(path + ":" + std::to_string(line_no) +
                                       ": expected \"SELECT ...\" or \"title: SELECT ...\"");
      }
      q.title = Trim(line.substr(0, colon));
      q.sql = Trim(line.substr(colon + 1));
    }
    queries.push_back(std::move(q));
  }
  if (queries.empty()) return Status::InvalidArgument(path + ": no queries");
  return queries;
}

Result<ReportRun> RunReportQueries(const Dataset& dataset, Decryptor& decryptor,
                                   const std::vector<ReportQuery>& queries, const std::string& path,
                                   const ReleaseRules& rules, const audit::Trail* ledger,
                                   Engine& engine, const std::function<void(size_t)>& progress) {
  for (const ReportQuery& q : queries) {  // a bad query fails before any work
    Status planned = MakePlan(q.sql, dataset.manifest.catalog, dataset.layout).status();
    if (!planned.ok()) return planned.WithContext(path + ":" + std::to_string(q.line));
  }
  ReportRun run;
  for (size_t i = 0; i < queries.size(); ++i) {
    if (progress) progress(i);
    const std::string where = path + ":" + std::to_string(queries[i].line);
    // Compute side: public key, plan and ciphertexts only.
    auto computed = ComputeResult(dataset, queries[i].sql, engine, {});
    if (!computed.ok()) return computed.status().WithContext(where);
    // Owner: reads the result as the compute side would hand it over, then opens it.
    auto loaded = ParseResult(computed->json, where, decryptor.public_key());
    if (!loaded.ok()) return loaded.status();
    auto released = OpenResult(*loaded, decryptor, rules, ledger);
    if (!released.ok()) return released.status().WithContext(where);
    run.sections.push_back({queries[i].title, std::move(released->table)});
    run.ledger_entries += (run.ledger_entries.empty() ? "" : "; ") + released->ledger_entry;
    run.schema = std::move(released->schema);
    run.facts = std::move(released->facts);
  }
  return run;
}

Result<ReportSummary> WriteReport(
    const ReportRequest& o, const PassphraseSource& passphrase, const audit::Trail& trail,
    const std::function<void(size_t, size_t, const std::string&)>& progress) {
  const std::string format = o.format.empty() ? (o.table1 ? "text" : "html") : o.format;
  if (o.table1 ? format != "text" && format != "csv" && format != "html" : format != "html") {
    return Status::InvalidArgument("--format " + format + ": " +
                                   (o.table1 ? "a Table 1 is written as text, csv or html"
                                             : "a report of queries is written as html"));
  }
  if (!o.table1 && IsStdout(o.out)) {
    return Status::InvalidArgument("--out: a report of queries is written to a file");
  }
  CS_RETURN_IF_ERROR(CheckOutput(o.out, o.force));  // before the passphrase and the work
  std::vector<ReportQuery> queries;
  if (!o.table1) {
    CS_ASSIGN_OR_RETURN(std::string text, ReadFile(o.queries));
    CS_ASSIGN_OR_RETURN(queries, ParseReportQueries(text, o.queries));
  }
  CS_ASSIGN_OR_RETURN(Dataset dataset, OpenDataset(o.data));
  CS_ASSIGN_OR_RETURN(crypto::PublicKey pk, crypto::ReadPublicKey(o.key));
  if (pk.Fingerprint() != dataset.manifest.key_fingerprint) {
    return Status::InvalidArgument("wrong key: " + o.data + " is encrypted under key " +
                                   dataset.manifest.key_fingerprint.substr(0, 16) + "…, " + o.key +
                                   " holds " + pk.Fingerprint().substr(0, 16) + "…");
  }
  CS_ASSIGN_OR_RETURN(crypto::OwnerKey owner, OpenOwnerKey(o.key, passphrase, trail));
  OwnerDecryptor decryptor(owner);
  EngineSettings settings;
  if (o.threads > 0) settings["--threads"] = {std::to_string(o.threads)};
  CS_ASSIGN_OR_RETURN(auto engine, MakeEngine("local", settings));

  std::string document, what, ledger_entries, content_sha256;
  std::vector<std::string> sqls;
  uint64_t min_cell = 0;
  if (o.table1) {
    size_t done = 0;
    CS_ASSIGN_OR_RETURN(Table1Run run, BuildTable1(dataset, decryptor, *o.table1, o.rules, &trail,
                                                   *engine, [&](const std::string& sql) {
                                                     if (progress) progress(done++, 0, sql);
                                                   }));
    document = RenderTable1(run.table, format, o.title);
    what = "Table 1 (" + format + ") by " + o.table1->group + " of " +
           std::to_string(run.table.queries.size()) + " queries to " + o.out;
    sqls = run.table.queries;
    min_cell = run.table.facts.min_cell;
    ledger_entries = run.ledger_entries;
    content_sha256 = run.facts.content_sha256;
  } else {
    CS_ASSIGN_OR_RETURN(ReportRun run, RunReportQueries(dataset, decryptor, queries, o.queries,
                                                        o.rules, &trail, *engine, [&](size_t i) {
                                                          if (progress)
                                                            progress(i, queries.size(),
                                                                     queries[i].sql);
                                                        }));
    ReportContext context;
    context.title = o.title.empty() ? "Report on " + dataset.manifest.name : o.title;
    context.generated_at = ReportTime();
    context.schema = &run.schema;
    document = RenderHtmlReport(run.sections, context);
    what = "HTML report of " + std::to_string(queries.size()) + " queries to " + o.out;
    for (const ReportQuery& q : queries) sqls.push_back(q.sql);
    min_cell = run.sections.front().table.min_cell;
    ledger_entries = run.ledger_entries;
    content_sha256 = run.facts.content_sha256;
  }
  std::string queries_text;
  for (const std::string& sql : sqls) queries_text += sql + "\n";
  CS_RETURN_IF_ERROR(Publish(trail,
                             audit::EventOf("release")
                                 .Key(pk.Fingerprint())
                                 .Dataset(content_sha256)
                                 .ResultDigest(Sha256Hex(document))
                                 .Query(queries_text)
                                 .Detail(what + ", cells under " + std::to_string(min_cell) +
                                         " records suppressed; " + ledger_entries),
                             document, o.out, o.force));
  return ReportSummary{sqls.size(), dataset.manifest.record_count};
}

}  // namespace cipherstat::pipeline
