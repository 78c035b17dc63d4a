#include "cli/report.h"

#include <cstdio>
#include <memory>
#include <string>

#include "cli/audit.h"
#include "cli/passphrase.h"
#include "pipeline/report.h"

namespace cipherstat::cli {

void RegisterReport(CLI::App& app, Registry* registry) {
  auto* cmd = app.add_subcommand(
      "report",
      "Run the queries in a file (one per line: 'title: SELECT ...'; # comments) over an "
      "encrypted dataset, decrypt them, and write one HTML report with charts");
  auto o = std::make_shared<pipeline::ReportRequest>();
  auto pass_file = std::make_shared<std::string>();
  cmd->add_option("--data", o->data, "Dataset folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--key", o->key, "Key folder (the secret key decrypts the results)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--queries", o->queries, "Query file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "HTML file to write")->required();
  AddForceFlag(cmd, &o->force);
  cmd->add_option("--title", o->title, "Report heading (default: \"Report on DATASET\")");
  AddMinCellOption(cmd, &o->rules.min_cell);
  auto privacy = std::make_shared<PrivacyFlags>();
  AddPrivacyOptions(cmd, privacy.get());
  cmd->add_option("--passphrase-file", *pass_file, "Passphrase file for the secret key");
  cmd->add_option("--threads", o->threads, "Map threads (default: all cores)");
  registry->emplace_back(cmd, [o, pass_file, privacy]() -> Status {
    CS_RETURN_IF_ERROR(ApplyPrivacy(*privacy, &o->rules));
    CS_ASSIGN_OR_RETURN(
        pipeline::ReportSummary done,
        pipeline::WriteReport(*o, PassphraseFrom(*pass_file), CommandTrail(),
                              [](size_t i, size_t total, const pipeline::ReportQuery& q) {
                                std::fprintf(stderr, "query %zu/%zu: %s\n", i + 1, total,
                                             q.sql.c_str());
                              }));
    std::printf("%zu queries over %llu records; report written to %s\n", done.queries,
                static_cast<unsigned long long>(done.records), o->out.c_str());
    return Status::OK();
  });
}

}  // namespace cipherstat::cli
