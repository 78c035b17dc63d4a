#include "cli/report.h"

#include <cstdio>
#include <memory>
#include <string>

#include "cli/audit.h"
#include "cli/output.h"
#include "cli/passphrase.h"
#include "crypto/hash.h"
#include "crypto/key_dir.h"
#include "report/query_file.h"
#include "util/file.h"

namespace cipherstat::cli {

namespace {

struct ReportOptions {
  std::string data, key, queries, out, title, pass_file;
  ReleaseOptions release;
  int threads = 0;
};

Status RunReport(const ReportOptions& o) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(o.queries));
  CS_ASSIGN_OR_RETURN(std::vector<ReportQuery> queries, ParseReportQueries(text, o.queries));
  CS_ASSIGN_OR_RETURN(Dataset dataset, OpenDataset(o.data));
  CS_ASSIGN_OR_RETURN(crypto::PublicKey pk, crypto::ReadPublicKey(o.key));
  if (pk.Fingerprint() != dataset.manifest.key_fingerprint) {
    return Status::InvalidArgument("wrong key: " + o.data + " is encrypted under key " +
                                   dataset.manifest.key_fingerprint.substr(0, 16) + "…, " + o.key +
                                   " holds " + pk.Fingerprint().substr(0, 16) + "…");
  }
  CS_ASSIGN_OR_RETURN(
      auto pass,
      GetPassphrase(o.pass_file, "Passphrase for " + crypto::SecretKeyPath(o.key) + ": ", false));
  auto owner = crypto::ReadOwnerKey(o.key, *pass);
  if (!owner.ok()) {
    return AuditEvent("failed passphrase").KeyDir(o.key).RecordFailure(owner.status());
  }
  LocalOptions local;
  local.threads = o.threads;
  CS_ASSIGN_OR_RETURN(std::vector<ReportSection> sections,
                      RunReportQueries(dataset, owner->paillier, owner->signing.verify_key(),
                                       queries, o.queries, o.release, local, [&](size_t i) {
                                         std::fprintf(stderr, "query %zu/%zu: %s\n", i + 1,
                                                      queries.size(), queries[i].sql.c_str());
                                       }));
  ReportContext context;
  context.title = o.title.empty() ? "Report on " + dataset.manifest.schema.name : o.title;
  context.generated_at = UtcNow();
  context.schema = &dataset.manifest.schema;
  std::string queries_text;
  for (const ReportQuery& q : queries) queries_text += q.sql + "\n";
  const std::string html = RenderHtmlReport(sections, context);
  CS_RETURN_IF_ERROR(AuditEvent("release")
                         .Key(pk.Fingerprint())
                         .Dataset(dataset.manifest_sha256)
                         .ResultDigest(Sha256Hex(html))
                         .Query(queries_text)
                         .Detail("HTML report of " + std::to_string(queries.size()) +
                                 " queries to " + o.out + ", cells under " +
                                 std::to_string(o.release.min_cell) + " records suppressed")
                         .Record());
  CS_RETURN_IF_ERROR(WriteOutput(o.out, html));
  std::printf("%zu queries over %llu records; report written to %s\n", sections.size(),
              static_cast<unsigned long long>(dataset.manifest.record_count), o.out.c_str());
  return Status::OK();
}

}  // namespace

void RegisterReport(CLI::App& app, Registry* registry) {
  auto* cmd = app.add_subcommand(
      "report",
      "Run the queries in a file (one per line: 'title: SELECT ...'; # comments) over an "
      "encrypted dataset, decrypt them, and write one HTML report with charts");
  auto o = std::make_shared<ReportOptions>();
  cmd->add_option("--data", o->data, "Dataset folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--key", o->key, "Key folder (the secret key decrypts the results)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--queries", o->queries, "Query file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "HTML file to write")->required();
  cmd->add_option("--title", o->title, "Report heading (default: \"Report on DATASET\")");
  cmd->add_option("--min-cell", o->release.min_cell, "Suppress cells from fewer records than this");
  cmd->add_option("--passphrase-file", o->pass_file, "Passphrase file for the secret key");
  cmd->add_option("--threads", o->threads, "Map threads (default: all cores)");
  registry->emplace_back(cmd, [o]() { return RunReport(*o); });
}

}  // namespace cipherstat::cli
