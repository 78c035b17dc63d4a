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
      "encrypted dataset, decrypt them, and write one HTML report with charts; or, with "
      "--table1 G, write Table 1 of a paper by the grouping column G");
  cmd->footer(
      "Table 1 (--table1 G): one column per value of G and an Overall column; rows: N; per "
      "numeric column mean \u00b1 SD (median [IQR] for the columns named in --median: "
      "PERCENTILE_CONT from the column's histogram bins, a public G only); per 0/1 column n "
      "(%) of ones; per categorical column, public groupable column and column named in "
      "--categorical n (%) per level (percentages of the group's N). p-values: Welch t-test "
      "(TTEST) for two groups, one-way ANOVA for more, chi-square (CHISQ) for 0/1 and "
      "categorical rows. Every figure is a cell of a release (verified, decrypted, small cells "
      "suppressed, recorded in the release ledger); a hidden cell stays hidden, and a p-value "
      "over a hidden group is hidden. Without --columns every column the dataset can answer by "
      "G is shown and the others are named in a note with the reason; a column named in "
      "--columns, --median or --categorical that cannot be answered is refused. Refused with "
      "--dp-epsilon.\n"
      "  cipherstat report --data DATASET --key DIR --table1 arm --out table1.txt\n"
      "  cipherstat report --data DATASET --key DIR --table1 site --columns age,cd4,sex "
      "--median cd4 --format html --out table1.html");
  auto o = std::make_shared<pipeline::ReportRequest>();
  auto pass_file = std::make_shared<std::string>();
  auto table1 = std::make_shared<pipeline::Table1Spec>();
  auto no_overall = std::make_shared<bool>(false);
  cmd->add_option("--data", o->data, "Dataset folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--key", o->key, "Key folder (the secret key decrypts the results)")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* queries = cmd->add_option("--queries", o->queries, "Query file")->check(CLI::ExistingFile);
  auto* group = cmd->add_option("--table1", table1->group,
                                "Write Table 1 by this grouping column instead of running a "
                                "query file (see below)");
  queries->excludes(group);
  group->excludes(queries);
  cmd->add_option("--columns", table1->columns,
                  "Table 1: its rows' columns, in order, comma-separated (default: every "
                  "column the dataset can answer by the grouping column)")
      ->delimiter(',')
      ->needs(group);
  cmd->add_option("--median", table1->median,
                  "Table 1: numeric columns shown as median [IQR] instead of mean \u00b1 SD, "
                  "comma-separated (needs their histogram bins and a public grouping column)")
      ->delimiter(',')
      ->needs(group);
  cmd->add_option("--categorical", table1->categorical,
                  "Table 1: numeric columns with levels shown as n (%) per level instead of "
                  "mean \u00b1 SD, comma-separated")
      ->delimiter(',')
      ->needs(group);
  cmd->add_flag("--no-overall", *no_overall, "Table 1: no Overall column")->needs(group);
  cmd->add_option("--format", o->format,
                  "Table 1: text (default), csv or html; a query file's report is html")
      ->check(CLI::IsMember({"text", "csv", "html"}));
  cmd->add_option("--out", o->out, "File to write (a Table 1 may go to '-', standard output)")
      ->required();
  AddForceFlag(cmd, &o->force);
  cmd->add_option("--title", o->title,
                  "Report heading (default: \"Report on DATASET\", \"Table 1 by G\")");
  AddMinCellOption(cmd, &o->rules.min_cell);
  AddLevelOption(cmd, &o->rules.cells.level);
  auto privacy = std::make_shared<PrivacyFlags>();
  AddPrivacyOptions(cmd, privacy.get());
  cmd->add_option("--passphrase-file", *pass_file, "Passphrase file for the secret key");
  cmd->add_option("--threads", o->threads, "Map threads (default: all cores)");
  registry->emplace_back(cmd, [o, pass_file, privacy, table1, no_overall]() -> Status {
    if (o->queries.empty() && table1->group.empty()) {
      return Status::InvalidArgument("report: pass --queries FILE or --table1 COLUMN");
    }
    CS_RETURN_IF_ERROR(ApplyPrivacy(*privacy, &o->rules));
    if (!table1->group.empty()) {
      table1->overall = !*no_overall;
      o->table1 = *table1;
    }
    CS_ASSIGN_OR_RETURN(pipeline::ReportSummary done,
                        pipeline::WriteReport(*o, PassphraseFrom(*pass_file), CommandTrail(),
                                              [](size_t i, size_t total, const std::string& sql) {
                                                if (total > 0) {
                                                  std::fprintf(stderr, "query %zu/%zu: %s\n", i + 1,
                                                               total, sql.c_str());
                                                } else {
                                                  std::fprintf(stderr, "query %zu: %s\n", i + 1,
                                                               sql.c_str());
                                                }
                                              }));
    if (o->table1 && pipeline::IsStdout(o->out)) return Status::OK();
    std::printf("%zu queries over %llu records; %s written to %s\n", done.queries,
                static_cast<unsigned long long>(done.records), o->table1 ? "Table 1" : "report",
                o->out.c_str());
    return Status::OK();
  });
}

}  // namespace cipherstat::cli
