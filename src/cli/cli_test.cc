// The `cipherstat` executable as a user runs it: every test starts the real binary through a
// shell and looks at its exit code, its output and the files it leaves behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sqlite_oracle.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ScratchDir;

constexpr const char* kPassphrase = "correct horse battery staple";

using testing::Lines;
using testing::ReadText;
using testing::WriteText;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Names in `dir` that start with `prefix` (leftover "NAME.tmp-XXXXXX" files or folders).
std::vector<std::string> Leftovers(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Runs `cipherstat ARGS` with `env` prepended (e.g. "CIPHERSTAT_PASSPHRASE=...").
CommandResult Cli(const std::string& args, const std::string& env = "") {
  const std::string line =
      (env.empty() ? "" : env + " ") + ShellQuote(testing::Binary()) + " " + args + " </dev/null";
  CommandResult r = testing::RunCommand(line);
  r.output = "$ " + line + "\n" + r.output;
  return r;
}

std::string WithPassphrase(const std::string& passphrase = kPassphrase) {
  return "CIPHERSTAT_PASSPHRASE=" + ShellQuote(passphrase);
}

std::string WithoutPassphrase() { return "env -u CIPHERSTAT_PASSPHRASE"; }

// One key, one small cohort, cleaned, encrypted and queried once for the whole suite; each
// test checks one step or breaks one thing.
class CliTest : public ::testing::Test {
 protected:
  static constexpr const char* kSql =
      "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm";

  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    const ScratchDir& d = *dir_;
    steps_.clear();
    steps_.push_back(Cli("keygen --fast-kdf --out " + ShellQuote(d / "keys"), WithPassphrase()));
    steps_.push_back(Cli("generate --records 200 --seed 3 --out " + ShellQuote(d / "cohort.csv")));
    steps_.push_back(Cli("schema --in " + ShellQuote(d / "cohort.csv") + " --out " +
                         ShellQuote(d / "schema.json") + " --max-records 1000"));
    steps_.push_back(Cli("clean --schema " + ShellQuote(d / "schema.json") + " --in " +
                         ShellQuote(d / "cohort.csv") + " --out " + ShellQuote(d / "clean.csv") +
                         " --report " + ShellQuote(d / "report.json")));
    steps_.push_back(Cli("encrypt --schema " + ShellQuote(d / "schema.json") + " --key " +
                             ShellQuote(d / "keys") + " --in " + ShellQuote(d / "clean.csv") +
                             " --out " + ShellQuote(d / "dataset"),
                         WithPassphrase()));
    steps_.push_back(Cli("query --data " + ShellQuote(d / "dataset") + " --sql " +
                         ShellQuote(kSql) + " --out " + ShellQuote(d / "result.json")));
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    for (const CommandResult& r : steps_) {
      ASSERT_EQ(r.exit_code, 0) << "suite set-up step failed:\n" << r.output;
    }
  }

  static std::string P(const std::string& name) { return *dir_ / name; }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline std::vector<CommandResult> steps_;
};

TEST_F(CliTest, FullFlowDecryptsToJsonCsvAndText) {
  EXPECT_TRUE(Contains(steps_[0].output, "public.key")) << steps_[0].output;
  EXPECT_TRUE(fs::exists(P("keys/public.key")));
  EXPECT_TRUE(fs::exists(P("keys/secret.key")));
  EXPECT_TRUE(Contains(steps_[3].output, "200 rows read")) << steps_[3].output;
  EXPECT_TRUE(Contains(steps_[4].output, "200 records encrypted")) << steps_[4].output;
  EXPECT_TRUE(fs::exists(P("dataset/manifest.json")));

  // JSON: columns and rows in SELECT order, numbers at full precision.
  CommandResult json =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
              " --format json --out " + ShellQuote(P("out.json")),
          WithPassphrase());
  ASSERT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json j = nlohmann::json::parse(ReadText(P("out.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << ReadText(P("out.json"));
  ASSERT_TRUE(j.contains("columns"));
  ASSERT_TRUE(j.contains("rows"));
  EXPECT_EQ(j["columns"], nlohmann::json({"arm", "count(*)", "avg(cd4)", "stddev(cd4)"}));
  ASSERT_TRUE(j["suppressed"].is_array());
  EXPECT_TRUE(j["suppressed"].empty());

  // The same numbers from SQLite over the clean CSV.
  testing::SqliteOracle oracle;
  std::string error;
  ASSERT_TRUE(oracle.LoadCsv(P("clean.csv"), {{"cd4", testing::OracleType::kInteger}}, &error))
      << error;
  ASSERT_TRUE(oracle.CreateView({}, &error)) << error;
  std::vector<testing::OracleRow> want;
  ASSERT_TRUE(oracle.Query(
      "SELECT r.arm, COUNT(*), AVG(r.cd4), "
      "SUM((r.cd4 - a.m) * (r.cd4 - a.m)) / (COUNT(r.cd4) - 1) "
      "FROM t AS r LEFT JOIN (SELECT arm AS g, AVG(cd4) AS m FROM t GROUP BY arm) AS a "
      "ON r.arm IS a.g GROUP BY r.arm",
      &want, &error))
      << error;
  std::map<std::string, testing::OracleRow> by_arm;
  for (const auto& row : want) by_arm[row[0].is_null() ? "" : row[0].text] = row;
  ASSERT_EQ(j["rows"].size(), by_arm.size());
  uint64_t total = 0;
  for (const auto& row : j["rows"]) {
    ASSERT_EQ(row.size(), 4u);
    const std::string arm = row[0].is_null() ? "" : row[0].get<std::string>();
    ASSERT_TRUE(by_arm.count(arm)) << arm;
    const auto& w = by_arm[arm];
    EXPECT_EQ(row[1].get<int64_t>(), w[1].integer) << arm;
    EXPECT_NEAR(row[2].get<double>(), w[2].real, 1e-12 * std::fabs(w[2].real)) << arm;
    const double sd = std::sqrt(w[3].real);
    EXPECT_NEAR(row[3].get<double>(), sd, 1e-12 * sd) << arm;
    total += row[1].get<uint64_t>();
  }
  EXPECT_EQ(total, 200u);

  // CSV: the same table.
  CommandResult csv =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
              " --format csv --out " + ShellQuote(P("out.csv")),
          WithPassphrase());
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  std::vector<std::vector<std::string>> table;
  ASSERT_TRUE(testing::ParseCsvText(ReadText(P("out.csv")), &table, &error)) << error;
  ASSERT_EQ(table.size(), j["rows"].size() + 1);
  EXPECT_EQ(table[0], (std::vector<std::string>{"arm", "count(*)", "avg(cd4)", "stddev(cd4)"}));
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& row = j["rows"][r - 1];
    EXPECT_EQ(table[r][0], row[0].is_null() ? "" : row[0].get<std::string>());
    EXPECT_EQ(std::stoll(table[r][1]), row[1].get<int64_t>());
    EXPECT_EQ(std::stod(table[r][2]), row[2].get<double>()) << "CSV loses precision";
  }

  // Text, on standard output.
  CommandResult text = Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " +
                               ShellQuote(P("result.json")) + " --format text",
                           WithPassphrase());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(Contains(text.output, "avg(cd4)")) << text.output;
  for (const auto& row : j["rows"]) {
    if (!row[0].is_null()) {
      EXPECT_TRUE(Contains(text.output, row[0].get<std::string>())) << text.output;
    }
  }
  // The default format is text too.
  CommandResult plain =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")),
          WithPassphrase());
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_TRUE(Contains(plain.output, "count(*)")) << plain.output;
}

TEST_F(CliTest, SuppressedCellsAreNullAndListed) {
  CommandResult r =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
              " --format json --min-cell 1000 --out " + ShellQuote(P("suppressed.json")),
          WithPassphrase());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(ReadText(P("suppressed.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["min_cell"], 1000);
  ASSERT_FALSE(j["rows"].empty());
  std::set<std::pair<size_t, size_t>> listed;
  for (const auto& rc : j["suppressed"]) listed.insert({rc[0].get<size_t>(), rc[1].get<size_t>()});
  for (size_t row = 0; row < j["rows"].size(); ++row) {
    EXPECT_FALSE(j["rows"][row][0].is_null()) << "group keys are not suppressed";
    for (size_t col = 1; col < 4; ++col) {
      EXPECT_TRUE(j["rows"][row][col].is_null()) << row << "," << col;
      EXPECT_TRUE(listed.count({row, col})) << row << "," << col << " not in \"suppressed\"";
    }
  }
  EXPECT_EQ(listed.size(), j["rows"].size() * 3);
  // The text format says so.
  CommandResult text = Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " +
                               ShellQuote(P("result.json")) + " --min-cell 1000",
                           WithPassphrase());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(Contains(text.output, "suppressed")) << text.output;
}

// The default crosses go by sex, site and arm (not the year); --cross and --no-crosses choose.
TEST_F(CliTest, SchemaCrossFlagsChooseTheCrosses) {
  EXPECT_TRUE(Contains(steps_[2].output, "crosses: 3 (by sex, site, arm)\n")) << steps_[2].output;
  const std::string in = "schema --in " + ShellQuote(P("cohort.csv")) + " --out ";
  CommandResult chosen =
      Cli(in + ShellQuote(P("crossed.json")) + " --cross visit_year --cross arm");
  ASSERT_EQ(chosen.exit_code, 0) << chosen.output;
  EXPECT_TRUE(Contains(chosen.output, "crosses: 2 (by visit_year, arm)\n")) << chosen.output;
  CommandResult none = Cli(in + ShellQuote(P("uncrossed.json")) + " --no-crosses");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_TRUE(Contains(none.output, "crosses: none\n")) << none.output;
  CommandResult numeric = Cli(in + ShellQuote(P("bad.json")) + " --cross cd4");
  EXPECT_NE(numeric.exit_code, 0);
  EXPECT_TRUE(Contains(numeric.output, "--cross cd4: 'cd4' is not a groupable column"))
      << numeric.output;
  CommandResult both = Cli(in + ShellQuote(P("bad.json")) + " --cross arm --no-crosses");
  EXPECT_NE(both.exit_code, 0) << both.output;
  EXPECT_FALSE(fs::exists(P("bad.json")));
}

TEST_F(CliTest, QueryRunsWithoutTheSecretKey) {
  // Only the dataset (with its public key) is used; move the secret key out of reach.
  ScratchDir away;
  fs::rename(P("keys/secret.key"), away / "secret.key");
  CommandResult q =
      Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
              ShellQuote("SELECT sex, COUNT(*), AVG(viral_suppressed), VARIANCE(age) FROM "
                         "cohort GROUP BY sex") +
              " --out " + ShellQuote(P("nosecret.json")),
          WithoutPassphrase());
  fs::rename(away / "secret.key", P("keys/secret.key"));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_TRUE(fs::exists(P("nosecret.json")));
  // Nothing secret is in the dataset the compute party holds.
  for (const std::string& f : Listing(P("dataset"))) {
    if (fs::is_directory(f)) continue;
    EXPECT_NE(fs::path(f).filename(), "secret.key");
    EXPECT_FALSE(Contains(ReadText(f), "cipherstat-keystore")) << f;
  }
  CommandResult d = Cli("decrypt --format json --key " + ShellQuote(P("keys")) + " --in " +
                            ShellQuote(P("nosecret.json")),
                        WithPassphrase());
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_TRUE(Contains(d.output, "avg(viral_suppressed)")) << d.output;
}

TEST_F(CliTest, DecryptWithAWrongPassphraseFails) {
  CommandResult r =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")),
          WithPassphrase("not the passphrase"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "wrong passphrase, or the keystore was altered")) << r.output;
  EXPECT_FALSE(Contains(r.output, "avg(cd4)")) << "printed a result anyway:\n" << r.output;
}

TEST_F(CliTest, DecryptWithAnotherKeyFolderFailsWrongKey) {
  CommandResult k = Cli("keygen --fast-kdf --out " + ShellQuote(P("other-keys")), WithPassphrase());
  ASSERT_EQ(k.exit_code, 0) << k.output;
  CommandResult r =
      Cli("decrypt --key " + ShellQuote(P("other-keys")) + " --in " + ShellQuote(P("result.json")),
          WithPassphrase());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "wrong key")) << r.output;
  // keygen refuses to overwrite a key folder.
  CommandResult again =
      Cli("keygen --fast-kdf --out " + ShellQuote(P("other-keys")), WithPassphrase());
  EXPECT_NE(again.exit_code, 0) << again.output;
}

TEST_F(CliTest, CleanReportsMalformedRows) {
  std::vector<std::string> raw = Lines(ReadText(P("cohort.csv")));
  ASSERT_GT(raw.size(), 6u);
  std::string csv;
  for (size_t i = 0; i < 6; ++i) csv += raw[i] + "\n";         // header + 5 good rows (lines 2-6)
  csv += "X0000001,40,M,Kampala,EFV,300,50\n";                 // line 7: too few fields
  csv += "X0000002,40,M,Kampala,EFV,300,50,1.7,2020,extra\n";  // line 8: too many fields
  csv += "X0000003,forty,M,Kampala,EFV,300,50,1.7,2020\n";     // line 9: age not a number
  csv += "X0000004,40,M,Kampala,EFV,999999,50,1.7,2020\n";     // line 10: cd4 out of range
  csv += "X0000005,40,Q,Kampala,EFV,300,50,1.7,2020\n";        // line 11: unknown sex
  csv += "X0000006,40,F,Kampala,EFV,300,50,1.7,2020\n";        // line 12: fine
  WriteText(P("messy.csv"), csv);
  CommandResult r = Cli("clean --schema " + ShellQuote(P("schema.json")) + " --in " +
                        ShellQuote(P("messy.csv")) + " --out " + ShellQuote(P("messy.clean.csv")) +
                        " --report " + ShellQuote(P("messy.report.json")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "11 rows read, 9 kept, 2 dropped")) << r.output;
  for (const char* rule :
       {"wrong_field_count", "not_a_number:age", "out_of_range:cd4", "unknown_level:sex"}) {
    EXPECT_TRUE(Contains(r.output, rule)) << rule << "\n" << r.output;
  }
  nlohmann::json report = nlohmann::json::parse(ReadText(P("messy.report.json")), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["rows_read"], 11);
  EXPECT_EQ(report["rows_written"], 9);
  EXPECT_EQ(report["rows_dropped"], 2);
  EXPECT_EQ(report["hits"]["wrong_field_count"]["count"], 2);
  EXPECT_EQ(report["hits"]["wrong_field_count"]["lines"], nlohmann::json({7, 8}));
  EXPECT_EQ(report["hits"]["not_a_number:age"]["lines"], nlohmann::json({9}));
  EXPECT_EQ(report["hits"]["out_of_range:cd4"]["lines"], nlohmann::json({10}));
  EXPECT_EQ(report["hits"]["unknown_level:sex"]["lines"], nlohmann::json({11}));
  EXPECT_EQ(Lines(ReadText(P("messy.clean.csv"))).size(), 10u);  // header + 9
}

TEST_F(CliTest, CleanWithAnUnknownSchemaColumnWritesNothing) {
  WriteText(P("nocd4.csv"),
            "patient_id,age,sex,site,arm,viral_load,log10_vl,visit_year\nP1,40,M,Kampala,EFV,50,1."
            "7,2020\n");
  CommandResult r = Cli("clean --schema " + ShellQuote(P("schema.json")) + " --in " +
                        ShellQuote(P("nocd4.csv")) + " --out " + ShellQuote(P("nocd4.clean.csv")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "cd4")) << r.output;
  EXPECT_FALSE(fs::exists(P("nocd4.clean.csv")));
  EXPECT_TRUE(Leftovers(dir_->path(), "nocd4.clean.csv.").empty());
}

TEST_F(CliTest, EncryptToAnExistingFolderFailsAndLeavesItAlone) {
  fs::create_directory(P("occupied"));
  WriteText(P("occupied/notes.txt"), "do not touch");
  const auto before = Listing(P("occupied"));
  CommandResult r =
      Cli("encrypt --schema " + ShellQuote(P("schema.json")) + " --key " + ShellQuote(P("keys")) +
              " --in " + ShellQuote(P("clean.csv")) + " --out " + ShellQuote(P("occupied")),
          WithPassphrase());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "already exists")) << r.output;
  EXPECT_EQ(Listing(P("occupied")), before);
  EXPECT_EQ(ReadText(P("occupied/notes.txt")), "do not touch");
  EXPECT_TRUE(Leftovers(dir_->path(), "occupied.").empty());
}

TEST_F(CliTest, EncryptOfAnUncleanCsvFailsNamingTheLineAndLeavesNoDataset) {
  const std::vector<std::string> clean = Lines(ReadText(P("clean.csv")));
  ASSERT_GT(clean.size(), 40u);
  struct Case {
    std::string name, bad_row;
  };
  const std::vector<Case> cases = {{"badnumber", "Z0000001,40,M,Kampala,EFV,lots,50,1.7,2020"},
                                   {"badfields", "Z0000001,40,M,Kampala,EFV,300"},
                                   {"badlevel", "Z0000001,40,M,Atlantis,EFV,300,50,1.7,2020"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // The bad row goes to line 31, after 29 good rows and before 10 more.
    std::string csv;
    for (size_t i = 0; i < 30; ++i) csv += clean[i] + "\n";
    csv += c.bad_row + "\n";
    for (size_t i = 30; i < 40; ++i) csv += clean[i] + "\n";
    WriteText(P(c.name + ".csv"), csv);
    CommandResult r = Cli("encrypt --schema " + ShellQuote(P("schema.json")) + " --key " +
                              ShellQuote(P("keys")) + " --in " + ShellQuote(P(c.name + ".csv")) +
                              " --out " + ShellQuote(P(c.name + "-dataset")),
                          WithPassphrase());
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, "line 31")) << r.output;
    EXPECT_FALSE(fs::exists(P(c.name + "-dataset")));
    EXPECT_TRUE(Leftovers(dir_->path(), c.name + "-dataset").empty());
  }
}

TEST_F(CliTest, QueryOnATamperedSegmentFailsNamingItAndWritesNoResult) {
  fs::copy(P("dataset"), P("tampered"), fs::copy_options::recursive);
  const std::string seg = P("tampered/segments/part-00000.c0");
  const std::string text = ReadText(seg);
  CommandResult v = Cli("verify --data " + ShellQuote(P("tampered")));
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_TRUE(Contains(v.output, "every column matches")) << v.output;
  // It also says what the dataset tells whoever holds it: the catalog, no level name.
  EXPECT_TRUE(Contains(v.output, "sex: private categorical, encrypted; 2 levels, by number only"))
      << v.output;
  EXPECT_FALSE(Contains(v.output, "Kampala")) << v.output;
  testing::AlterFirstRecordCiphertexts(P("tampered"), "part-00000");
  v = Cli("verify --data " + ShellQuote(P("tampered")));
  EXPECT_NE(v.exit_code, 0) << v.output;
  EXPECT_TRUE(Contains(v.output, "part-00000.c0: chunk 0 (records 1-")) << v.output;
  CommandResult r = Cli("query --data " + ShellQuote(P("tampered")) + " --sql " + ShellQuote(kSql) +
                        " --out " + ShellQuote(P("tampered-result.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "part-00000")) << r.output;
  EXPECT_TRUE(Contains(r.output, "differs from the manifest's digest")) << r.output;
  EXPECT_FALSE(fs::exists(P("tampered-result.json")));
  EXPECT_TRUE(Leftovers(dir_->path(), "tampered-result.json").empty());

  // A segment cut short.
  WriteText(seg, text.substr(0, text.size() / 2));
  r = Cli("query --data " + ShellQuote(P("tampered")) + " --sql " + ShellQuote(kSql) + " --out " +
          ShellQuote(P("tampered-result.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "part-00000")) << r.output;
  EXPECT_FALSE(fs::exists(P("tampered-result.json")));
}

// Issue 17, attack 7: a folder with dataset A's manifest.sig beside dataset B's manifest.json
// and segments, every file genuine and from one owner, passed `verify` and was queried. The
// compute side now checks manifest.json against manifest.sig and refuses it; an honest
// dataset still passes.
TEST_F(CliTest, QueryAndVerifyRefuseAnotherDatasetsManifestBesideThisManifestSig) {
  const std::vector<std::string> clean = Lines(ReadText(P("clean.csv")));
  ASSERT_GT(clean.size(), 121u);
  std::string fewer;
  for (size_t i = 0; i < 121; ++i) fewer += clean[i] + "\n";  // the header and 120 records
  WriteText(P("clean-b.csv"), fewer);
  CommandResult encrypt =
      Cli("encrypt --schema " + ShellQuote(P("schema.json")) + " --key " + ShellQuote(P("keys")) +
              " --in " + ShellQuote(P("clean-b.csv")) + " --out " + ShellQuote(P("dataset-b")),
          WithPassphrase());
  ASSERT_EQ(encrypt.exit_code, 0) << encrypt.output;
  fs::copy(P("dataset-b"), P("swapped"), fs::copy_options::recursive);
  fs::copy_file(P("dataset/manifest.sig"), P("swapped/manifest.sig"),
                fs::copy_options::overwrite_existing);
  const std::string refused =
      P("swapped") +
      ": manifest.json differs from the owner's signed manifest.sig (field \"dataset_id\")";

  CommandResult verify = Cli("verify --data " + ShellQuote(P("swapped")));
  EXPECT_NE(verify.exit_code, 0) << verify.output;
  EXPECT_TRUE(Contains(verify.output, refused)) << verify.output;
  EXPECT_FALSE(Contains(verify.output, "every column matches")) << verify.output;
  CommandResult query = Cli("query --data " + ShellQuote(P("swapped")) + " --sql " +
                            ShellQuote(kSql) + " --out " + ShellQuote(P("swapped-result.json")));
  EXPECT_NE(query.exit_code, 0) << query.output;
  EXPECT_TRUE(Contains(query.output, refused)) << query.output;
  EXPECT_FALSE(fs::exists(P("swapped-result.json")));

  for (const char* honest : {"dataset", "dataset-b"}) {
    CommandResult ok = Cli("verify --data " + ShellQuote(P(honest)));
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_TRUE(Contains(ok.output, "the manifest matches its signature in manifest.sig"))
        << ok.output;
  }
}

TEST_F(CliTest, UnanswerableQueryFailsWithTheFix) {
  CommandResult r =
      Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
          ShellQuote("SELECT MIN(cd4) FROM cohort") + " --out " + ShellQuote(P("min.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "HISTOGRAM")) << r.output;
  EXPECT_FALSE(fs::exists(P("min.json")));
  r = Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
          ShellQuote("SELECT COUNT(*) FROM cohort WHERE sex = 'F'") + " --out " +
          ShellQuote(P("where.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "public")) << r.output;
  r = Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
          ShellQuote("SELEC COUNT(*) FROM cohort") + " --out " + ShellQuote(P("syntax.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
}

// The releases below spend 1 + 0.5 + 0.5 per report query of the dataset's budget (a budget
// of 10 given with each; the ledger's own test covers refusals).
TEST_F(CliTest, DecryptWithDpEpsilonReleasesNoisyCellsWithTheirScales) {
  const std::string decrypt =
      "decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json"));
  CommandResult text =
      Cli(decrypt + " --min-cell 1 --dp-epsilon 1 --dp-budget 10", WithPassphrase());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  // arm, COUNT(*), AVG and STDDEV over arm: count, level(arm), and observed, sum and sumsq of
  // cd4 in total and by arm: 8 slot families, so each count has scale 8/ε = 8.
  EXPECT_TRUE(Contains(text.output, "(scale 8)")) << text.output;
  EXPECT_TRUE(Contains(text.output, "(sd\u2248")) << text.output;
  EXPECT_TRUE(Contains(text.output, "(differential privacy: this table spends \u03b5 = 1;"))
      << text.output;
  EXPECT_FALSE(Contains(text.output, "200 records")) << text.output;

  CommandResult json =
      Cli(decrypt + " --format json --dp-epsilon 0.5 --dp-budget 10", WithPassphrase());
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const std::string body = json.output.substr(json.output.find('{'));
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.output;
  EXPECT_EQ(j["epsilon"], "1/2");
  EXPECT_TRUE(j["records"].is_null());
  ASSERT_EQ(j["noise"].size(), j["rows"].size());

  // report: each query's table spends ε; combine takes the flag too.
  WriteText(P("dp-queries.txt"), "Counts: SELECT arm, COUNT(*) FROM cohort GROUP BY arm\n" +
                                     std::string("Mean: SELECT AVG(cd4) FROM cohort\n"));
  CommandResult report =
      Cli("report --data " + ShellQuote(P("dataset")) + " --key " + ShellQuote(P("keys")) +
              " --queries " + ShellQuote(P("dp-queries.txt")) + " --out " +
              ShellQuote(P("dp-report.html")) + " --dp-epsilon 0.5 --dp-budget 10",
          WithPassphrase());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const std::string html = ReadText(P("dp-report.html"));
  EXPECT_TRUE(Contains(html, "\u03b5 = 1/2 per table, 2 tables: 1 in all")) << html;
  EXPECT_TRUE(Contains(html, "<small class=\"noise\">")) << html;
  EXPECT_TRUE(Contains(Cli("combine --help").output, "--dp-epsilon"));

  // Without the flag, the exact release as before.
  CommandResult exact = Cli(decrypt + " --format json", WithPassphrase());
  ASSERT_EQ(exact.exit_code, 0) << exact.output;
  EXPECT_FALSE(Contains(exact.output, "noise")) << exact.output;
  EXPECT_TRUE(Contains(exact.output, "\"records\": 200")) << exact.output;
}

TEST_F(CliTest, ABadDpEpsilonIsRefusedBeforeAnyWork) {
  const std::string decrypt = "decrypt --key " + ShellQuote(P("keys")) + " --in " +
                              ShellQuote(P("result.json")) + " --dp-epsilon=";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0",
       "cipherstat decrypt: Invalid argument: --dp-epsilon: privacy epsilon 0: must be greater "
       "than 0"},
      {"-1",
       "cipherstat decrypt: Invalid argument: --dp-epsilon: privacy epsilon -1: must be greater "
       "than 0"},
      {"abc",
       "cipherstat decrypt: Invalid argument: --dp-epsilon: privacy epsilon abc: not a decimal "
       "number such as "
       "0.5"},
  };
  for (const auto& [epsilon, message] : cases) {
    CommandResult r = Cli(decrypt + epsilon, WithoutPassphrase());
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, message + "\n")) << r.output;
  }
}

// Issue 18 item 6: `report --table1` with the real binary, once: a CSV Table 1 by the private
// arm whose N row equals the records per arm counted in the clean CSV, and its help.
TEST_F(CliTest, ReportTable1WritesATableByArm) {
  CommandResult r =
      Cli("report --data " + ShellQuote(P("dataset")) + " --key " + ShellQuote(P("keys")) +
              " --table1 arm --format csv --out " + ShellQuote(P("table1.csv")),
          WithPassphrase());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "Table 1 written to")) << r.output;
  std::vector<std::vector<std::string>> rows;
  std::string error;
  ASSERT_TRUE(testing::ReadCsvFile(P("table1.csv"), &rows, &error)) << error;
  ASSERT_GE(rows.size(), 3u) << ReadText(P("table1.csv"));
  const std::vector<std::string>& header = rows[0];
  ASSERT_GE(header.size(), 5u);
  EXPECT_EQ(header.back(), "test");
  EXPECT_EQ(header[header.size() - 2], "p");
  EXPECT_EQ(header[header.size() - 3], "Overall");
  // The records per arm, from the clean CSV itself.
  std::vector<std::vector<std::string>> clean;
  ASSERT_TRUE(testing::ReadCsvFile(P("clean.csv"), &clean, &error)) << error;
  const size_t arm =
      static_cast<size_t>(std::find(clean[0].begin(), clean[0].end(), "arm") - clean[0].begin());
  ASSERT_LT(arm, clean[0].size());
  std::map<std::string, int> per_arm;
  for (size_t i = 1; i < clean.size(); ++i) ++per_arm[clean[i][arm]];
  ASSERT_EQ(rows[1][0], "N");
  for (size_t c = 1; c + 3 < header.size(); ++c) {
    ASSERT_EQ(header[c].rfind("arm = ", 0), 0u) << header[c];
    EXPECT_EQ(rows[1][c], std::to_string(per_arm[header[c].substr(6)])) << header[c];
  }
  EXPECT_EQ(rows[1][header.size() - 3], "200");
  // A numeric row with its mean ± SD and a p-value from a test the header names.
  bool cd4 = false;
  for (const auto& row : rows) {
    if (row[0] != "cd4, mean \u00b1 SD") continue;
    cd4 = true;
    EXPECT_TRUE(Contains(row[1], " \u00b1 ")) << row[1];
    EXPECT_TRUE(row.back() == "ANOVA" || row.back() == "Welch t-test") << row.back();
  }
  EXPECT_TRUE(cd4) << ReadText(P("table1.csv"));

  const std::string help = Cli("report --help").output;
  for (const char* flag : {"--table1", "--columns", "--median", "--categorical", "--format"})
    EXPECT_TRUE(Contains(help, flag)) << flag << "\n" << help;
  EXPECT_TRUE(Contains(help, "Welch")) << help;
  CommandResult both = Cli("report --data " + ShellQuote(P("dataset")) + " --key " +
                               ShellQuote(P("keys")) + " --table1 arm --queries " +
                               ShellQuote(P("clean.csv")) + " --out " + ShellQuote(P("x.txt")),
                           WithoutPassphrase());
  EXPECT_NE(both.exit_code, 0) << both.output;
  EXPECT_TRUE(Contains(both.output, "excludes")) << both.output;
}

TEST(CliHelpTest, EveryCommandHasHelp) {
  CommandResult top = Cli("--help");
  EXPECT_EQ(top.exit_code, 0) << top.output;
  const std::map<std::string, std::string> commands = {
      {"keygen", "--out"},       {"schema", "--in"},   {"clean", "--report"},
      {"encrypt", "--key"},      {"query", "--sql"},   {"decrypt", "--format"},
      {"generate", "--records"}, {"demo", "--workdir"}};
  for (const auto& [command, option] : commands) {
    EXPECT_TRUE(Contains(top.output, command)) << command << " missing from --help";
    CommandResult r = Cli(command + " --help");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, option)) << r.output;
  }
  CommandResult none = Cli("");
  EXPECT_NE(none.exit_code, 0) << none.output;
  CommandResult unknown = Cli("frobnicate");
  EXPECT_NE(unknown.exit_code, 0) << unknown.output;
  CommandResult missing = Cli("query --sql 'SELECT COUNT(*) FROM x'");
  EXPECT_NE(missing.exit_code, 0) << "a required flag left out:\n" << missing.output;
}

TEST(CliDemoTest, DemoRunsEndToEndAndMatches) {
  ScratchDir dir;
  CommandResult r = Cli("demo --records 300 --workdir " + ShellQuote(dir / "demo"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "All 8 queries match")) << r.output;
  EXPECT_FALSE(Contains(r.output, "MISMATCH")) << r.output;
  // Issue 18: the demo shows Kaplan–Meier curves (a step plot in the report) and Table 1.
  EXPECT_TRUE(Contains(r.output, "KAPLAN_MEIER(months_followed, died)")) << r.output;
  EXPECT_TRUE(Contains(r.output, "Table 1 by arm")) << r.output;
  EXPECT_TRUE(Contains(r.output, "died = 1, n (%)")) << r.output;
  EXPECT_TRUE(Contains(ReadText(dir / "demo/report.html"), "<polyline class=\"km "));
  EXPECT_TRUE(Contains(ReadText(dir / "demo/table1.html"), "arm = DTG"));
  // A second run into the same folder refuses rather than mixing old and new files.
  CommandResult again = Cli("demo --records 300 --workdir " + ShellQuote(dir / "demo"));
  EXPECT_NE(again.exit_code, 0) << again.output;
}

// Files holding patient-level plaintext or released results are the owner's alone, whatever
// the umask; only what the compute party receives (the dataset) and public keys are readable.
TEST(CliPrivateFilesTest, PatientFilesAreOwnerOnlyWhateverTheUmask) {
  ScratchDir dir;
  auto p = [&](const std::string& name) { return ShellQuote(dir / name); };
  const std::string open_umask = "umask 000; " + WithPassphrase();
  for (const std::string& step : {
           "keygen --fast-kdf --out " + p("keys"),
           "generate --records 150 --seed 9 --out " + p("cohort.csv"),
           "schema --in " + p("cohort.csv") + " --out " + p("schema.json"),
           "clean --schema " + p("schema.json") + " --in " + p("cohort.csv") + " --out " +
               p("clean.csv") + " --report " + p("clean-report.json"),
           "encrypt --schema " + p("schema.json") + " --key " + p("keys") + " --in " +
               p("clean.csv") + " --out " + p("dataset"),
           "query --data " + p("dataset") + " --sql 'SELECT COUNT(*), AVG(cd4) FROM cohort'" +
               " --out " + p("result.json"),
           "decrypt --key " + p("keys") + " --in " + p("result.json") + " --format csv --out " +
               p("released.csv"),
           "decrypt --key " + p("keys") + " --in " + p("result.json") + " --format html --out " +
               p("released.html"),
           "demo --records 150 --workdir " + p("demo"),
       }) {
    CommandResult r = Cli(step, open_umask);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto mode = [&](const std::string& name) {
    struct stat st {};
    EXPECT_EQ(::stat((dir / name).c_str(), &st), 0) << name;
    return st.st_mode & 0777;
  };
  for (const char* name :
       {"cohort.csv", "schema.json", "clean.csv", "clean-report.json", "released.csv",
        "released.html", "result.json", "keys/secret.key", "demo/cohort.csv", "demo/schema.json",
        "demo/clean.csv", "demo/clean-report.json", "demo/released-1.json", "demo/report.html"}) {
    EXPECT_EQ(mode(name), 0600u) << name;
  }
  for (const char* name :
       {"keys/public.key", "dataset/manifest.json", "dataset/manifest.sig", "dataset/public.key",
        "dataset/segments/part-00000.pub", "dataset/segments/part-00000.c0"}) {
    EXPECT_EQ(mode(name), 0644u) << name;
  }
}

}  // namespace
}  // namespace cipherstat
