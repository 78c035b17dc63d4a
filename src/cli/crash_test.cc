// Crash safety: `encrypt`, `query` and `decrypt` killed with SIGKILL at random points leave
// no output that looks complete, only recognisable temporaries ("<out>.tmp-XXXXXX") that do
// not block a re-run, and the re-run gives the right answer.
//
// An interrupted encrypt is not resumed: the dataset appears only by renaming a finished
// temporary folder, so a restart writes a fresh one and the stale temporary stays behind for
// the owner to delete (it holds only ciphertexts and the public key).
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "child_process.h"
#include "test_util.h"

namespace cipherstat {
namespace {

namespace fs = std::filesystem;
using testing::ReadText;
using testing::ScratchDir;
using testing::WriteText;

constexpr const char* kPassphrase = "crash test passphrase";
constexpr const char* kSql = "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm";
constexpr int kRuns = 3;  // kills per command

constexpr const char* kSchemaJson = R"({
 "format": "cipherstat-schema", "version": 1, "name": "cohort", "max_records": 100000,
 "columns": [
  {"name": "patient_id", "kind": "identifier"},
  {"name": "site", "kind": "categorical", "levels": ["Kampala", "Mbarara"], "public": true},
  {"name": "arm", "kind": "numeric", "min": 0, "max": 3, "decimals": 0,
   "levels": ["0", "1", "2", "3"]},
  {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "decimals": 0,
   "bins": [0, 200, 350, 500, "inf"]}
 ],
 "crosses": [{"by": "arm", "over": ["cd4"]}]
})";

using testing::ChildOptions;
using testing::ChildResult;

ChildResult RunChild(const std::vector<std::string>& args, int kill_after_ms) {
  ChildOptions options;
  options.kill_after_ms = kill_after_ms;
  return testing::RunChild(args, options);
}

// Milliseconds a command took, to spread the kills over its whole run.
int TimedRun(const std::vector<std::string>& args, int* code) {
  const auto start = std::chrono::steady_clock::now();
  *code = RunChild(args, -1).exit_code;
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count());
}

// Names in `dir` that were not there before.
std::set<std::string> NewEntries(const std::string& dir, const std::set<std::string>& before) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!before.count(name)) out.insert(name);
  }
  return out;
}

std::set<std::string> Entries(const std::string& dir) { return NewEntries(dir, {}); }

bool IsTemporaryOf(const std::string& name, const std::string& out) {
  return name.rfind(out + ".tmp-", 0) == 0;
}

class CrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::setenv("CIPHERSTAT_PASSPHRASE", kPassphrase, 1);
    dir_ = std::make_unique<ScratchDir>();
    WriteText(P("schema.json"), kSchemaJson);
    std::string csv = "patient_id,site,arm,cd4\n";
    for (int i = 0; i < 96; ++i) {
      csv += std::to_string(i) + "," + (i % 3 ? "Kampala" : "Mbarara") + "," +
             std::to_string(i % 4) + "," + std::to_string((i * 131) % 1500) + "\n";
    }
    WriteText(P("clean.csv"), csv);
    int code = -1;
    RunChild({"keygen", "--fast-kdf", "--out", P("keys")}, -1);
    encrypt_ms_ = TimedRun(EncryptArgs("reference"), &code);
    ASSERT_EQ(code, 0);
    query_ms_ = TimedRun(QueryArgs("reference", "reference.json"), &code);
    ASSERT_EQ(code, 0);
    decrypt_ms_ = TimedRun(DecryptArgs("reference.json", "reference.table"), &code);
    ASSERT_EQ(code, 0);
    expected_ = ReadText(P("reference.table"));
    ASSERT_NE(expected_.find("\"rows\""), std::string::npos) << expected_;
  }
  static void TearDownTestSuite() {
    dir_.reset();
    ::unsetenv("CIPHERSTAT_PASSPHRASE");
  }

  static std::string P(const std::string& name) { return *dir_ / name; }
  static std::vector<std::string> EncryptArgs(const std::string& out) {
    return {"encrypt",
            "--schema",
            P("schema.json"),
            "--key",
            P("keys"),
            "--in",
            P("clean.csv"),
            "--out",
            P(out),
            "--threads",
            "2",
            "--segment-records",
            "40"};
  }
  static std::vector<std::string> QueryArgs(const std::string& data, const std::string& out) {
    return {"query", "--data", P(data), "--sql", kSql, "--out", P(out), "--threads", "1"};
  }
  static std::vector<std::string> DecryptArgs(const std::string& in, const std::string& out) {
    return {"decrypt", "--key",      P("keys"), "--in",  P(in), "--format",
            "json",    "--min-cell", "0",       "--out", P(out)};
  }
  // A delay within the first three quarters of the command's normal run time (from
  // libsodium's CSPRNG), so that most runs are cut short even when a re-run is faster.
  static int RandomDelay(int duration_ms) {
    return static_cast<int>(randombytes_uniform(static_cast<uint32_t>(duration_ms * 3 / 4) + 1));
  }
  // The answer a complete dataset / result / table gives.
  static std::string Answer(const std::string& dataset) {
    int code = -1;
    RunChild(QueryArgs(dataset, dataset + ".answer.json"), -1);
    TimedRun(DecryptArgs(dataset + ".answer.json", dataset + ".answer.table"), &code);
    std::string table = ReadText(P(dataset + ".answer.table"));
    fs::remove(P(dataset + ".answer.json"));
    fs::remove(P(dataset + ".answer.table"));
    return code == 0 ? WithoutIdentity(table) : "decrypt failed";
  }
  // Each encryption is a new dataset, with its own identity and time: the answer is the rest
  // of a released JSON table.
  static std::string WithoutIdentity(const std::string& json_table) {
    nlohmann::json answer = nlohmann::json::parse(json_table, nullptr, false);
    if (answer.is_discarded()) return json_table;
    answer.erase("dataset_id");
    answer.erase("dataset_created");
    return answer.dump(1);
  }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline int encrypt_ms_ = 0, query_ms_ = 0, decrypt_ms_ = 0;
  static inline std::string expected_;
};

TEST_F(CrashTest, KilledEncryptLeavesNoDatasetAndARestartSucceeds) {
  int kills = 0;
  for (int run = 0; run < kRuns; ++run) {
    const std::string out = "dataset" + std::to_string(run);
    const auto before = Entries(dir_->path());
    const int delay = RandomDelay(encrypt_ms_);
    ChildResult exit = RunChild(EncryptArgs(out), delay);
    kills += exit.killed;
    SCOPED_TRACE("killed after " + std::to_string(delay) + " ms of ~" +
                 std::to_string(encrypt_ms_));
    for (const std::string& name : NewEntries(dir_->path(), before)) {
      if (name == out) {
        // The dataset folder exists only if encrypt finished before the kill: then it is whole.
        EXPECT_EQ(Answer(out), WithoutIdentity(expected_));
      } else {
        EXPECT_TRUE(IsTemporaryOf(name, out)) << "unexpected leftover " << name;
        EXPECT_FALSE(fs::exists(P(name) + "/manifest.json"))
            << name << ": a temporary dataset with a manifest looks complete";
      }
    }
    // Finished (or killed after the final rename): the dataset was checked above.
    if (!exit.killed || fs::exists(P(out))) continue;
    // The restart is not blocked by the temporary folder the killed run left behind.
    int code = -1;
    TimedRun(EncryptArgs(out), &code);
    ASSERT_EQ(code, 0);
    EXPECT_EQ(Answer(out), WithoutIdentity(expected_));
  }
  std::printf("encrypt: %d of %d runs killed\n", kills, kRuns);
}

TEST_F(CrashTest, KilledQueryLeavesNoResultAndARerunSucceeds) {
  int kills = 0;
  for (int run = 0; run < kRuns; ++run) {
    const std::string out = "result" + std::to_string(run) + ".json";
    const auto before = Entries(dir_->path());
    const int delay = RandomDelay(query_ms_);
    ChildResult exit = RunChild(QueryArgs("reference", out), delay);
    kills += exit.killed;
    SCOPED_TRACE("killed after " + std::to_string(delay) + " ms of ~" + std::to_string(query_ms_));
    for (const std::string& name : NewEntries(dir_->path(), before)) {
      if (name != out) {
        EXPECT_TRUE(IsTemporaryOf(name, out)) << "unexpected leftover " << name;
      }
    }
    if (!exit.killed) {
      EXPECT_EQ(exit.exit_code, 0) << exit.output;
    }
    int code = -1;
    // A result file present after the kill is whole (it decrypts below); else re-run.
    if (!fs::exists(P(out))) {
      TimedRun(QueryArgs("reference", out), &code);
      ASSERT_EQ(code, 0);
    }
    TimedRun(DecryptArgs(out, out + ".table"), &code);
    ASSERT_EQ(code, 0);
    EXPECT_EQ(ReadText(P(out + ".table")), expected_);
  }
  std::printf("query: %d of %d runs killed\n", kills, kRuns);
}

TEST_F(CrashTest, KilledDecryptLeavesNoTableAndARerunSucceeds) {
  int kills = 0;
  for (int run = 0; run < kRuns; ++run) {
    const std::string out = "table" + std::to_string(run) + ".json";
    const auto before = Entries(dir_->path());
    const int delay = RandomDelay(decrypt_ms_);
    ChildResult exit = RunChild(DecryptArgs("reference.json", out), delay);
    kills += exit.killed;
    SCOPED_TRACE("killed after " + std::to_string(delay) + " ms of ~" +
                 std::to_string(decrypt_ms_));
    for (const std::string& name : NewEntries(dir_->path(), before)) {
      if (name != out) {
        EXPECT_TRUE(IsTemporaryOf(name, out)) << "unexpected leftover " << name;
      }
    }
    // Present only when decrypt finished (or was killed after its final rename): then whole.
    if (fs::exists(P(out))) {
      EXPECT_EQ(ReadText(P(out)), expected_);
    }
    if (!exit.killed) {
      EXPECT_EQ(exit.exit_code, 0) << exit.output;
    }
    int code = -1;
    fs::remove(P(out));
    TimedRun(DecryptArgs("reference.json", out), &code);
    ASSERT_EQ(code, 0);
    EXPECT_EQ(ReadText(P(out)), expected_);
  }
  std::printf("decrypt: %d of %d runs killed\n", kills, kRuns);
}

}  // namespace
}  // namespace cipherstat
