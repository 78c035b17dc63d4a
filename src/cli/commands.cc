#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/audit.h"
#include "cli/hadoop.h"
#include "cli/keys.h"
#include "cli/passphrase.h"
#include "cli/report.h"
#include "crypto/key_dir.h"
#include "data/clean.h"
#include "data/generate.h"
#include "engine/engine.h"
#include "pipeline/demo.h"
#include "pipeline/encrypt.h"
#include "pipeline/keys.h"
#include "pipeline/query.h"
#include "pipeline/release.h"
#include "query/decode.h"
#include "report/format.h"
#include "store/dataset.h"
#include "store/encrypt.h"
#include "store/result_file.h"
#include "util/file.h"

namespace cipherstat::cli {

namespace {

// A one-line progress indicator on stderr, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(std::string what) : what_(std::move(what)), tty_(::isatty(2) != 0) {}
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\n");
  }
  void Update(uint64_t done, uint64_t total = 0) {
    if (!tty_) return;
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
    if (shown_ && now_ms - last_ms_ < 200 && done != total) return;
    last_ms_ = now_ms;
    shown_ = true;
    if (total > 0) {
      std::fprintf(
          stderr, "\r%s: %llu / %llu records (%d%%)", what_.c_str(),
          static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
          static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)));
    } else {
      std::fprintf(stderr, "\r%s: %llu records", what_.c_str(),
                   static_cast<unsigned long long>(done));
    }
    std::fflush(stderr);
  }

 private:
  std::string what_;
  bool tty_;
  bool shown_ = false;
  int64_t last_ms_ = 0;
};

}  // namespace

void Warn(const std::string& text) { std::fprintf(stderr, "warning: %s\n", text.c_str()); }

void AddForceFlag(CLI::App* cmd, bool* force) {
  cmd->add_flag("--force", *force,
                "Replace an output file that exists (never key material, a dataset or an audit "
                "log, and never inside a key or dataset folder)");
}

void AddPrivacyOptions(CLI::App* cmd, PrivacyFlags* flags) {
  cmd->add_option("--dp-epsilon", flags->epsilon,
                  "Differential privacy: add exact discrete Laplace noise to every count and sum "
                  "so that each released table spends privacy budget E (e.g. 1 or 0.5); each cell "
                  "shows its noise scale and 95% interval, and the record count is withheld")
      ->type_name("E");
  cmd->add_option("--dp-budget", flags->budget,
                  "The dataset's total privacy budget, kept in the release ledger beside the "
                  "audit log: a release that would spend past it is refused (default: the "
                  "budget last recorded, else 1)")
      ->type_name("B");
}

void AddLevelOption(CLI::App* cmd, double* level) {
  cmd->add_option("--level", *level,
                  "Confidence level of AVG_CI and PROPORTION_CI, between 0 and 1 (default 0.95; "
                  "another level is named in their column labels)")
      ->check(CLI::Bound(0.000001, 0.999999));
}

void AddMinCellOption(CLI::App* cmd, std::optional<uint64_t>* min_cell) {
  cmd->add_option("--min-cell", *min_cell,
                  "Suppress cells from fewer records than this (default: the owner's policy, "
                  "signed into the dataset by encrypt --min-cell)");
}

Status ApplyPrivacy(const PrivacyFlags& flags, pipeline::ReleaseRules* rules) {
  if (!flags.epsilon.empty()) {
    auto epsilon = ParseEpsilon(flags.epsilon);
    if (!epsilon.ok()) return epsilon.status().WithContext("--dp-epsilon");
    rules->cells.epsilon = std::move(epsilon).value();
  }
  if (!flags.budget.empty()) {
    auto budget = ParseEpsilon(flags.budget);
    if (!budget.ok()) return budget.status().WithContext("--dp-budget");
    rules->dp_budget = std::move(budget).value();
  }
  return Status::OK();
}

void RegisterCommands(CLI::App& app, Registry* registry) {
  RegisterAudit(app, registry);  // first: adds the global --audit-log/--audit-dir flags
  // keygen
  {
    auto* cmd = app.add_subcommand(
        "keygen",
        "Generate a Paillier key: DIR/public.key and a passphrase-protected DIR/secret.key");
    auto out = std::make_shared<std::string>();
    auto bits = std::make_shared<int>(crypto::kDefaultKeyBits);
    auto pass_file = std::make_shared<std::string>();
    auto fast_kdf = std::make_shared<bool>(false);
    cmd->add_option("--out", *out, "Key folder to create")->required();
    cmd->add_option("--bits", *bits, "Modulus size in bits")
        ->check(CLI::IsMember({2048, 3072, 4096}));
    cmd->add_option(
        "--passphrase-file", *pass_file,
        "Read the passphrase from this file (else CIPHERSTAT_PASSPHRASE, else a prompt)");
    cmd->add_flag("--fast-kdf", *fast_kdf,
                  "Use Argon2id's interactive limits (tests, demos) instead of moderate");
    auto custodians = std::make_shared<ThresholdKeygenOptions>();
    AddThresholdKeygenOptions(cmd, custodians.get());
    registry->emplace_back(cmd, [=]() -> Status {
      if (custodians->custodians > 0) {
        return RunThresholdKeygen(*out, *bits, *pass_file, *fast_kdf, *custodians);
      }
      CS_ASSIGN_OR_RETURN(auto pass,
                          GetPassphrase(*pass_file, "New passphrase for the secret key: ", true));
      std::fprintf(stderr, "generating a %d-bit Paillier key...\n", *bits);
      CS_ASSIGN_OR_RETURN(
          crypto::OwnerKey key,
          pipeline::CreateOwnerKey(*out, *bits, *pass,
                                   *fast_kdf ? crypto::FastKdfLimits() : crypto::DefaultKdfLimits(),
                                   CommandTrail()));
      std::printf(
          "key %s\n  owner signing key %s\n  public:  %s\n  secret:  %s "
          "(passphrase-protected)\n",
          key.paillier.public_key().Fingerprint().c_str(), key.signing.verify_key().Hex().c_str(),
          crypto::PublicKeyPath(*out).c_str(), crypto::SecretKeyPath(*out).c_str());
      return Status::OK();
    });
  }
  // schema
  {
    auto* cmd = app.add_subcommand("schema", "Infer an editable schema (JSON) from a raw CSV");
    auto in = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto options = std::make_shared<InferOptions>();
    cmd->add_option("--in", *in, "Raw CSV")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", *out, "Schema JSON to write")->required();
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    cmd->add_option("--max-records", options->max_records,
                    "Largest record count the dataset may ever hold");
    cmd->add_option("--max-levels", options->max_levels,
                    "Columns with at most this many distinct values are groupable");
    auto ranges = std::make_shared<std::vector<std::string>>();
    cmd->add_option("--range", *ranges,
                    "A numeric column's clinical range, used as its bounds instead of the "
                    "rounded grid (repeatable); refused if any value lies outside it")
        ->type_name("COLUMN=MIN:MAX");
    auto products = std::make_shared<std::vector<std::string>>();
    cmd->add_option("--product", *products,
                    "Encrypt the cross products of these numeric columns, over the records where "
                    "all are present, for CORR(y, x), COVAR_*, REGR_* and LINREG(y, x1, ...) "
                    "(repeatable)")
        ->type_name("Y,X[,X...]");
    auto cross = std::make_shared<std::vector<std::string>>();
    auto* cross_option =
        cmd->add_option("--cross", *cross,
                        "Cross by this groupable column over every numeric column and "
                        "indicator, for AVG and the like GROUP BY it (repeatable; replaces the "
                        "inferred crosses, which go by categorical columns and by codes named "
                        "like an arm, sex, race or site)")
            ->type_name("COLUMN");
    auto no_crosses = std::make_shared<bool>(false);
    cmd->add_flag("--no-crosses", *no_crosses,
                  "No crosses: the smallest records; GROUP BY a private column counts only")
        ->excludes(cross_option);
    registry->emplace_back(cmd, [=]() -> Status {
      InferOptions infer = *options;
      if (!cross->empty() || *no_crosses) infer.cross_by = *cross;
      for (const std::string& spec : *ranges) CS_RETURN_IF_ERROR(AddDeclaredRange(spec, &infer));
      for (const std::string& spec : *products) {
        infer.products.emplace_back();
        std::stringstream columns(spec);
        for (std::string column; std::getline(columns, column, ',');)
          infer.products.back().push_back(column);
      }
      CS_RETURN_IF_ERROR(pipeline::CheckOutput(*out, *force));
      InferredBoundsMap bounds;
      InferNotes notes;
      CS_ASSIGN_OR_RETURN(Schema schema, InferSchema(*in, infer, &bounds, &notes));
      CS_RETURN_IF_ERROR(WriteFileAtomic(*out, SchemaToJson(schema), kPrivateFile, *force));
      std::printf(
          "schema for %zu columns (%llu rows read) written to %s; review it (identifiers, "
          "excluded and public columns, bounds, crosses) before encrypting\n%s",
          schema.columns.size(), static_cast<unsigned long long>(notes.rows), out->c_str(),
          DescribeInferredSchema(schema, bounds, &notes).c_str());
      return Status::OK();
    });
  }
  // clean
  {
    auto* cmd = app.add_subcommand(
        "clean",
        "Validate a raw CSV against a schema; write the clean CSV and a report of every change");
    auto schema_path = std::make_shared<std::string>();
    auto in = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto report_path = std::make_shared<std::string>();
    cmd->add_option("--schema", *schema_path, "Schema JSON")->required()->check(CLI::ExistingFile);
    cmd->add_option("--in", *in, "Raw CSV")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", *out, "Clean CSV to write")->required();
    cmd->add_option("--report", *report_path, "Clean report (JSON) to write");
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(Schema schema, ReadSchemaFile(*schema_path));
      CS_RETURN_IF_ERROR(pipeline::CheckOutput(*out, *force));
      if (!report_path->empty()) CS_RETURN_IF_ERROR(pipeline::CheckOutput(*report_path, *force));
      CleanReport report;
      CS_RETURN_IF_ERROR(CleanCsv(schema, *in, *out, &report, *force));
      if (!report_path->empty()) {
        CS_RETURN_IF_ERROR(WriteFileAtomic(*report_path, report.ToJson(), kPrivateFile, *force));
      }
      std::printf("%llu rows read, %llu kept, %llu dropped\n",
                  static_cast<unsigned long long>(report.rows_read),
                  static_cast<unsigned long long>(report.rows_written),
                  static_cast<unsigned long long>(report.rows_dropped));
      // The top reasons, most rows first; the report lists every rule with its lines.
      auto top = [](std::vector<std::pair<uint64_t, std::string>> items, const char* title) {
        if (items.empty()) return;
        std::sort(items.begin(), items.end(),
                  [](const auto& a, const auto& b) { return a.first > b.first; });
        std::printf("%s\n", title);
        const size_t shown = std::min<size_t>(items.size(), 10);
        for (size_t i = 0; i < shown; ++i) {
          std::printf("  %-32s %llu\n", items[i].second.c_str(),
                      static_cast<unsigned long long>(items[i].first));
        }
        if (items.size() > shown) std::printf("  ... and %zu more\n", items.size() - shown);
      };
      std::vector<std::pair<uint64_t, std::string>> dropped, changed;
      for (const auto& [rule, rows] : report.dropped_by) dropped.emplace_back(rows, rule);
      for (const auto& [rule, hits] : report.hits) changed.emplace_back(hits.count, rule);
      top(dropped, "rows dropped because of:");
      top(changed, "values missing, set missing or changed (rule:column, values):");
      return Status::OK();
    });
  }
  // encrypt
  {
    auto* cmd = app.add_subcommand(
        "encrypt",
        "Encrypt a clean CSV into a dataset folder (packed Paillier ciphertexts + manifest)");
    auto schema_path = std::make_shared<std::string>();
    auto key = std::make_shared<std::string>();
    auto in = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto pass_file = std::make_shared<std::string>();
    auto public_only = std::make_shared<bool>(false);
    auto options = std::make_shared<EncryptOptions>();
    cmd->add_option("--schema", *schema_path, "Schema JSON")->required()->check(CLI::ExistingFile);
    cmd->add_option("--key", *key, "Key folder")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--in", *in, "Clean CSV")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", *out, "Dataset folder (or hdfs://HOST:PORT/path) to create")
        ->required();
    cmd->add_option("--passphrase-file", *pass_file, "Passphrase file for the secret key");
    auto clean_report = std::make_shared<std::string>();
    cmd->add_option("--clean-report", *clean_report,
                    "The clean report of this CSV (clean --report): the signed manifest then "
                    "records how many raw rows were read and kept, and releases show both")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--public-only", *public_only,
                  "Encrypt with the public key only (slower; no passphrase). The dataset is NOT "
                  "signed by the owner: decrypt refuses its results unless --allow-unsigned");
    cmd->add_option("--threads", options->threads, "Worker threads (default: all cores)");
    cmd->add_option("--segment-records", options->records_per_segment, "Records per segment file");
    cmd->add_option("--min-cell", options->min_cell,
                    "Release policy, signed into the dataset: cells from fewer records than this "
                    "are hidden in every release (custodians' combine cannot go lower)")
        ->capture_default_str();
    cmd->add_option("--mode", options->mode,
                    "standard (default) or djn: short-exponent encryption, several times "
                    "faster, under an extra assumption (see README, DJN mode)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, EncryptMode>{{"standard", EncryptMode::kStandard},
                                               {"djn", EncryptMode::kDjn}},
            CLI::ignore_case));
    cmd->add_option("--device", options->device,
                    "cpu (default), gpu, or auto: the GPU when one is usable, else the CPU "
                    "(both modes; standard mode needs the secret key, not --public-only; the "
                    "driver is libcuda.so.1, or CIPHERSTAT_CUDA_LIBRARY)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, EncryptDevice>{{"cpu", EncryptDevice::kCpu},
                                                 {"gpu", EncryptDevice::kGpu},
                                                 {"auto", EncryptDevice::kAuto}},
            CLI::ignore_case));
    cmd->add_option("--gpu-batch", options->gpu_batch_records,
                    "Records per GPU batch (two in flight; larger fills the GPU better and holds "
                    "more memory)")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 22))
        ->capture_default_str();
    cmd->add_option("--gpu-kernel", options->gpu_kernel,
                    "group (default): each number split over a group of GPU threads; thread: "
                    "one thread per encryption (bench/gpu_check.sh compares them)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, crypto::GpuKernel>{{"group", crypto::GpuKernel::kGroup},
                                                     {"thread", crypto::GpuKernel::kThread}},
            CLI::ignore_case));
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(Schema schema, ReadSchemaFile(*schema_path));
      if (const char* driver = std::getenv("CIPHERSTAT_CUDA_LIBRARY")) {
        options->gpu_driver = driver;
      }
      Progress progress("encrypting");
      pipeline::EncryptRequest request{*key, *in, *out, *public_only, *clean_report, *options};
      request.options.progress = [&](uint64_t done) { progress.Update(done); };
      CS_ASSIGN_OR_RETURN(pipeline::Encrypted done,
                          pipeline::EncryptDataset(schema, request, PassphraseFrom(*pass_file),
                                                   CommandTrail(), Warn));
      std::printf(
          "%llu records encrypted into %s (%d ciphertexts per record, packing density %.1f%%, "
          "%s)\n",
          static_cast<unsigned long long>(done.stats.records), out->c_str(),
          done.stats.ciphertexts_per_record, 100 * done.stats.packing_density, done.method.c_str());
      if (!done.stats.gpu_steps.empty()) {
        std::printf("GPU steps: %s\n", done.stats.gpu_steps.c_str());
      }
      return Status::OK();
    });
  }
  // query
  {
    auto* cmd = app.add_subcommand(
        "query", "Run an aggregate query over an encrypted dataset (public key only)");
    auto data = std::make_shared<std::string>();
    auto sql = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto engine_name = std::make_shared<std::string>("local");
    cmd->add_option("--data", *data, "Dataset folder or hdfs://HOST:PORT/path")
        ->required()
        ->check(ExistingDirectoryOrHdfs());
    cmd->add_option("--sql", *sql, "SELECT ... FROM name [WHERE public_col = 'v'] [GROUP BY ...]")
        ->required();
    cmd->add_option("--out", *out, "Encrypted result file (or hdfs:// URI) to write")->required();
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    cmd->add_option("--engine", *engine_name, "Execution engine: " + EngineHelp());
    auto engine_flags = AddEngineOptions(cmd);
    registry->emplace_back(cmd, [=]() -> Status {
      Progress progress("querying");
      EngineContext context;
      context.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
      context.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
      CS_ASSIGN_OR_RETURN(EngineRun run, pipeline::RunQuery({*data, *sql, *out, *engine_name,
                                                             engine_flags->Settings(), *force},
                                                            context, CommandTrail()));
      const EncryptedResult& result = run.result;
      if (!run.job_id.empty()) std::printf("job %s: ", run.job_id.c_str());
      std::printf("%llu records read, %llu matched, %zu groups; encrypted result in %s\n",
                  static_cast<unsigned long long>(result.records_read),
                  static_cast<unsigned long long>(result.records_matched), result.groups.size(),
                  out->c_str());
      if (!run.counters.empty()) {
        std::printf("counters (cipherstat):");
        for (const auto& [name, value] : run.counters) {
          std::printf(" %s=%llu", name.c_str(), static_cast<unsigned long long>(value));
        }
        std::printf("\n");
      }
      return Status::OK();
    });
  }
  // verify
  {
    auto* cmd = app.add_subcommand(
        "verify",
        "Check every segment of a dataset against its manifest (a query checks only the columns "
        "it reads)");
    auto data = std::make_shared<std::string>();
    cmd->add_option("--data", *data, "Dataset folder or hdfs://HOST:PORT/path")
        ->required()
        ->check(ExistingDirectoryOrHdfs());
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(Dataset dataset, OpenDataset(*data));
      Progress progress("verifying");
      const uint64_t total = dataset.manifest.record_count;
      CS_RETURN_IF_ERROR(
          VerifyDataset(dataset, [&](uint64_t done) { progress.Update(done, total); }));
      std::printf("%s: %zu segments, %llu records, every column matches the manifest; %s\n",
                  data->c_str(), dataset.manifest.segments.size(),
                  static_cast<unsigned long long>(total),
                  dataset.manifest_signature.empty()
                      ? "unsigned (encrypt --public-only)"
                      : "the manifest matches its signature in manifest.sig (the owner's "
                        "decrypt checks the signing key)");
      // What the dataset tells whoever holds it (its owner's schema is sealed).
      std::printf("catalog (all the compute side learns of the columns):\n");
      for (const std::string& line : DescribeCatalog(dataset.manifest.catalog)) {
        std::printf("  %s\n", line.c_str());
      }
      return Status::OK();
    });
  }
  // decrypt
  {
    auto* cmd = app.add_subcommand(
        "decrypt", "Decrypt an encrypted result and release it with small-cell suppression");
    auto key = std::make_shared<std::string>();
    auto in = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("text");
    auto out = std::make_shared<std::string>();
    auto pass_file = std::make_shared<std::string>();
    auto min_cell = std::make_shared<std::optional<uint64_t>>();
    cmd->add_option("--key", *key, "Key folder")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--in", *in, "Encrypted result file or hdfs://HOST:PORT/path")
        ->required()
        ->check(ExistingFileOrHdfs());
    cmd->add_option("--format", *format, "Output format (html: a self-contained page with charts)")
        ->check(CLI::IsMember(TableFormats()));
    cmd->add_option("--out", *out, "Write here instead of standard output");
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    AddMinCellOption(cmd, min_cell.get());
    auto level = std::make_shared<double>(0.95);
    AddLevelOption(cmd, level.get());
    auto privacy = std::make_shared<PrivacyFlags>();
    AddPrivacyOptions(cmd, privacy.get());
    cmd->add_option("--passphrase-file", *pass_file, "Passphrase file for the secret key");
    auto allow_unsigned = std::make_shared<bool>(false);
    cmd->add_flag("--allow-unsigned", *allow_unsigned,
                  "Accept a result from a dataset the owner did not sign (encrypt --public-only): "
                  "decode with the compute party's unauthenticated schema and record count");
    registry->emplace_back(cmd, [=]() -> Status {
      pipeline::ReleaseRules rules{ReleaseOptions(), *min_cell, *allow_unsigned, std::nullopt};
      rules.cells.level = *level;
      CS_RETURN_IF_ERROR(ApplyPrivacy(*privacy, &rules));
      // The result is checked against the key before the passphrase is asked for.
      CS_ASSIGN_OR_RETURN(crypto::PublicKey pk, crypto::ReadPublicKey(*key));
      CS_ASSIGN_OR_RETURN(pipeline::LoadedResult loaded, pipeline::ReadResult(*in, pk));
      CS_RETURN_IF_ERROR(pipeline::CheckOutput(*out, *force));  // and the output
      CS_ASSIGN_OR_RETURN(crypto::OwnerKey owner,
                          pipeline::OpenOwnerKey(*key, PassphraseFrom(*pass_file), CommandTrail()));
      pipeline::OwnerDecryptor decryptor(owner);
      return pipeline::ReleaseResult(loaded, decryptor, rules, {*format, *out, *force},
                                     CommandTrail(), Warn);
    });
  }
  // generate
  {
    auto* cmd = app.add_subcommand("generate",
                                   "Write a synthetic HIV cohort CSV (deterministic for a seed)");
    auto options = std::make_shared<GenerateOptions>();
    auto out = std::make_shared<std::string>();
    cmd->add_option("--records", options->records, "Number of patients")->required();
    cmd->add_option("--seed", options->seed, "Random seed");
    cmd->add_flag("--follow-up", options->follow_up,
                  "Add months_followed (0-60) and died (0/1) for survival analysis");
    cmd->add_option("--out", *out, "CSV to write")->required();
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    registry->emplace_back(cmd, [=]() -> Status {
      CS_RETURN_IF_ERROR(pipeline::CheckOutput(*out, *force));
      options->overwrite = *force;
      Progress progress("generating");
      CS_RETURN_IF_ERROR(GenerateCohort(
          *options, *out, [&](uint64_t done) { progress.Update(done, options->records); }));
      std::printf("%llu records written to %s\n", static_cast<unsigned long long>(options->records),
                  out->c_str());
      return Status::OK();
    });
  }
  // demo
  {
    auto* cmd = app.add_subcommand(
        "demo", "Run keygen → schema → clean → encrypt → query → decrypt end to end");
    auto o = std::make_shared<pipeline::DemoOptions>();
    cmd->add_option("--data", o->data, "Run on this CSV instead of a generated cohort")
        ->check(CLI::ExistingFile);
    cmd->add_option("--records", o->records, "Size of the generated cohort");
    cmd->add_option("--seed", o->seed, "Seed of the generated cohort");
    cmd->add_option("--bits", o->bits, "Key size")->check(CLI::IsMember({2048, 3072, 4096}));
    cmd->add_option("--workdir", o->workdir,
                    "Folder for the demo's files (default: a new temp folder)");
    cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
    registry->emplace_back(cmd, [o]() {
      if (::isatty(2)) o->progress = stderr;
      return pipeline::RunDemo(*o, CommandTrail());
    });
  }
  RegisterKeys(app, registry);
  RegisterReport(app, registry);
  RegisterHadoop(app, registry);
}

}  // namespace cipherstat::cli
