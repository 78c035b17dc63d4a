// Outputs never clobber (issue 15, item 7), through the real binary: every command that writes
// a file refuses an existing one without --force (exact message, the file byte-identical, no
// audit entry, no temporary file left), replaces it with --force, and never writes into a key
// folder or a dataset folder, nor over key material, a manifest or an audit log, even with
// --force.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "test_util.h"

namespace cipherstat {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ReadText;
using testing::ScratchDir;
using testing::ShellQuote;
using testing::WriteText;

constexpr char kSql[] = "SELECT arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY arm";
constexpr char kPrecious[] = "precious: not to be replaced\n";

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class OutputCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    setup_error_ = testing::MakeCohortDataset(*dir_, 150, 4, 100, D("dataset"));
    if (setup_error_.empty()) {
      CommandResult r = Cs("query --data " + ShellQuote(D("dataset")) + " --sql " +
                           ShellQuote(kSql) + " --out " + ShellQuote(D("result.json")));
      if (r.exit_code != 0) setup_error_ = r.output;
    }
    WriteText(D("report.txt"), std::string("By arm: ") + kSql + "\n");
    fs::create_directories(D("out"));
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static std::string D(const std::string& name) { return *dir_ / name; }
  static std::string Log() { return D("audit.jsonl"); }

  // `cipherstat ARGS`, recording into this suite's own audit log.
  static CommandResult Cs(const std::string& args) {
    const std::string line = "CIPHERSTAT_PASSPHRASE=x CIPHERSTAT_AUDIT_LOG=" + ShellQuote(Log()) +
                             " " + ShellQuote(testing::Binary()) + " " + args + " </dev/null";
    CommandResult r = testing::RunCommand(line);
    r.output = "$ " + line + "\n" + r.output;
    return r;
  }

  // Names in `dir` that look like a writer's temporary files ("NAME.tmp-XXXXXX").
  static std::vector<std::string> Temporaries(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (Has(name, ".tmp-")) out.push_back(name);
    }
    return out;
  }

  // `command` (which writes `out`) over an existing `out`: refused with the one message, the
  // file and the audit log unchanged; then with --force: replaced.
  static void ExpectRefusedThenForced(const std::string& command, const std::string& out) {
    WriteText(out, kPrecious);
    const std::string log = ReadText(Log());
    CommandResult refused = Cs(command);
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_TRUE(Has(refused.output, out + " exists; pass --force to replace it")) << refused.output;
    EXPECT_EQ(ReadText(out), kPrecious) << command;
    EXPECT_EQ(ReadText(Log()), log) << "a refused output was audited: " << command;
    EXPECT_TRUE(Temporaries(fs::path(out).parent_path()).empty()) << command;

    CommandResult forced = Cs(command + " --force");
    EXPECT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_NE(ReadText(out), kPrecious) << command;
    EXPECT_FALSE(ReadText(out).empty()) << command;
    EXPECT_TRUE(Temporaries(fs::path(out).parent_path()).empty()) << command;
  }

  // `command` is refused even with --force (where it has one); `path` is left exactly as it
  // was (or absent).
  static void ExpectNeverWritten(const std::string& command, const std::string& path,
                                 const std::string& why, bool has_force = true) {
    const bool existed = fs::exists(path);
    const std::string before = ReadText(path);
    const std::string log = ReadText(Log());
    CommandResult r = Cs(command + (has_force ? " --force" : ""));
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Has(r.output, why)) << r.output;
    EXPECT_EQ(fs::exists(path), existed) << path;
    EXPECT_EQ(ReadText(path), before) << path;
    EXPECT_EQ(ReadText(Log()), log) << "a refused output was audited: " << command;
  }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline std::string setup_error_;
};

TEST_F(OutputCliTest, SchemaRefusesAnExistingFile) {
  ExpectRefusedThenForced(
      "schema --in " + ShellQuote(D("cohort.csv")) + " --out " + ShellQuote(D("out/schema.json")),
      D("out/schema.json"));
}

TEST_F(OutputCliTest, CleanRefusesAnExistingCsvOrReport) {
  const std::string clean =
      "clean --schema " + ShellQuote(D("schema.json")) + " --in " + ShellQuote(D("cohort.csv"));
  ExpectRefusedThenForced(clean + " --out " + ShellQuote(D("out/clean.csv")), D("out/clean.csv"));
  // The report: the clean CSV is not written either when the report is refused.
  fs::remove(D("out/clean2.csv"));
  WriteText(D("out/clean-report.json"), kPrecious);
  CommandResult r = Cs(clean + " --out " + ShellQuote(D("out/clean2.csv")) + " --report " +
                       ShellQuote(D("out/clean-report.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, D("out/clean-report.json") + " exists; pass --force to replace it"))
      << r.output;
  EXPECT_FALSE(fs::exists(D("out/clean2.csv")));
  EXPECT_EQ(ReadText(D("out/clean-report.json")), kPrecious);
  r = Cs(clean + " --out " + ShellQuote(D("out/clean2.csv")) + " --report " +
         ShellQuote(D("out/clean-report.json")) + " --force");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(ReadText(D("out/clean-report.json")), "rows_read")) << r.output;
}

TEST_F(OutputCliTest, GenerateRefusesAnExistingFile) {
  ExpectRefusedThenForced("generate --records 20 --out " + ShellQuote(D("out/cohort.csv")),
                          D("out/cohort.csv"));
}

TEST_F(OutputCliTest, QueryRefusesAnExistingFileBeforeAnyWork) {
  ExpectRefusedThenForced("query --data " + ShellQuote(D("dataset")) + " --sql " +
                              ShellQuote(kSql) + " --out " + ShellQuote(D("out/r.json")),
                          D("out/r.json"));
}

TEST_F(OutputCliTest, DecryptRefusesAnExistingFile) {
  ExpectRefusedThenForced("decrypt --key " + ShellQuote(D("keys")) + " --in " +
                              ShellQuote(D("result.json")) + " --format csv --out " +
                              ShellQuote(D("out/released.csv")),
                          D("out/released.csv"));
  // Standard output is not a file: nothing to refuse.
  CommandResult r = Cs("decrypt --key " + ShellQuote(D("keys")) + " --in " +
                       ShellQuote(D("result.json")) + " --format csv --out -");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "arm")) << r.output;
}

TEST_F(OutputCliTest, ReportRefusesAnExistingFile) {
  ExpectRefusedThenForced("report --data " + ShellQuote(D("dataset")) + " --key " +
                              ShellQuote(D("keys")) + " --queries " + ShellQuote(D("report.txt")) +
                              " --out " + ShellQuote(D("out/report.html")),
                          D("out/report.html"));
}

TEST_F(OutputCliTest, KeyMaterialIsNeverReplaced) {
  const std::string decrypt =
      "decrypt --key " + ShellQuote(D("keys")) + " --in " + ShellQuote(D("result.json"));
  ExpectNeverWritten(decrypt + " --out " + ShellQuote(D("keys/secret.key")), D("keys/secret.key"),
                     "key folder");
  ExpectNeverWritten(decrypt + " --out " + ShellQuote(D("keys/public.key")), D("keys/public.key"),
                     "key folder");
  ExpectNeverWritten(decrypt + " --out " + ShellQuote(D("keys/released.csv")),
                     D("keys/released.csv"), "key folder");
  ExpectNeverWritten("generate --records 20 --out " + ShellQuote(D("keys/cohort.csv")),
                     D("keys/cohort.csv"), "key folder");
  // A keystore or public key copied out of its folder, under any name, is still key material.
  fs::create_directories(D("backup"));
  fs::copy_file(D("keys/secret.key"), D("backup/owner.bak"));
  ExpectNeverWritten(
      "schema --in " + ShellQuote(D("cohort.csv")) + " --out " + ShellQuote(D("backup/owner.bak")),
      D("backup/owner.bak"), "key folder");
  fs::copy_file(D("keys/public.key"), D("out/pub.json"));
  ExpectNeverWritten(decrypt + " --out " + ShellQuote(D("out/pub.json")), D("out/pub.json"),
                     "is a public key");
  fs::remove(D("out/pub.json"));
  // No key folder inside a key folder or a dataset.
  ExpectNeverWritten("keygen --fast-kdf --out " + ShellQuote(D("dataset/keys")), D("dataset/keys"),
                     "dataset folder", /*has_force=*/false);
}

TEST_F(OutputCliTest, DatasetFolderIsNeverWrittenInto) {
  const std::string query =
      "query --data " + ShellQuote(D("dataset")) + " --sql " + ShellQuote(kSql) + " --out ";
  ExpectNeverWritten(query + ShellQuote(D("dataset/manifest.json")), D("dataset/manifest.json"),
                     "dataset folder");
  ExpectNeverWritten(query + ShellQuote(D("dataset/result.json")), D("dataset/result.json"),
                     "dataset folder");
  ExpectNeverWritten(query + ShellQuote(D("dataset/segments/part-00000.pub")),
                     D("dataset/segments/part-00000.pub"), "dataset folder");
  ExpectNeverWritten("decrypt --key " + ShellQuote(D("keys")) + " --in " +
                         ShellQuote(D("result.json")) + " --out " +
                         ShellQuote(D("dataset/segments/table.txt")),
                     D("dataset/segments/table.txt"), "dataset folder");
  // Nor a new dataset inside one.
  ExpectNeverWritten("encrypt --schema " + ShellQuote(D("schema.json")) + " --key " +
                         ShellQuote(D("keys")) + " --in " + ShellQuote(D("clean.csv")) + " --out " +
                         ShellQuote(D("dataset/inner")),
                     D("dataset/inner"), "dataset folder", /*has_force=*/false);
  ExpectNeverWritten("encrypt --schema " + ShellQuote(D("schema.json")) + " --key " +
                         ShellQuote(D("keys")) + " --in " + ShellQuote(D("clean.csv")) + " --out " +
                         ShellQuote(D("keys/dataset")),
                     D("keys/dataset"), "key folder", /*has_force=*/false);
}

TEST_F(OutputCliTest, AuditLogIsNeverReplaced) {
  ASSERT_FALSE(ReadText(Log()).empty());
  fs::copy_file(Log(), D("out/audit-copy.jsonl"));
  ExpectNeverWritten("decrypt --key " + ShellQuote(D("keys")) + " --in " +
                         ShellQuote(D("result.json")) + " --out " +
                         ShellQuote(D("out/audit-copy.jsonl")),
                     D("out/audit-copy.jsonl"), "is an audit log");
  ExpectNeverWritten("generate --records 20 --out " + ShellQuote(Log()), Log(), "is an audit log");
  fs::remove(D("out/audit-copy.jsonl"));
}

TEST_F(OutputCliTest, EveryWritingCommandHasTheSameForceFlag) {
  std::string help_line;
  for (const char* command :
       {"schema", "clean", "generate", "query", "decrypt", "decrypt-share", "combine", "report"}) {
    CommandResult r = Cs(std::string(command) + " --help");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const size_t at = r.output.find("--force");
    ASSERT_NE(at, std::string::npos) << command << ":\n" << r.output;
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    if (help_line.empty()) help_line = line;
    EXPECT_EQ(line, help_line) << command;
  }
}

}  // namespace
}  // namespace cipherstat
