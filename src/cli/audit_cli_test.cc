// The audit trail through the real binary: a full pipeline leaves a log that verifies and
// names each action with the right digests; tampering and an unwritable log are caught.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/identity.h"
#include "audit/log.h"
#include "crypto/hash.h"
#include "crypto/key_dir.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::Lines;
using testing::ReadText;
using testing::ScratchDir;
using testing::WriteText;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// What audit entries name a dataset by: the digest of the content the owner signed.
std::string SignedContentDigest(const std::string& dataset) {
  const nlohmann::json sig = nlohmann::json::parse(ReadText(dataset + "/manifest.sig"));
  return Sha256Hex(sig.at("content").get<std::string>());
}

std::string Sha256OfFile(const std::string& path) {
  auto digest = audit::FileSha256(path);
  EXPECT_TRUE(digest.ok()) << digest.status().ToString();
  return digest.ok() ? *digest : "";
}

class AuditCliTest : public ::testing::Test {
 protected:
  static constexpr const char* kSql = "SELECT arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY arm";

  // Runs `cipherstat ARGS` with this suite's audit log and folder and a passphrase.
  static CommandResult Cli(const std::string& args, const std::string& passphrase = "pw-audit") {
    const std::string line = "CIPHERSTAT_PASSPHRASE=" + ShellQuote(passphrase) +
                             " CIPHERSTAT_AUDIT_LOG=" + ShellQuote(P("audit.jsonl")) +
                             " CIPHERSTAT_AUDIT_DIR=" + ShellQuote(P("me")) + " " +
                             ShellQuote(testing::Binary()) + " " + args + " </dev/null";
    CommandResult r = testing::RunCommand(line);
    r.output = "$ " + line + "\n" + r.output;
    return r;
  }

  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    steps_.clear();
    for (const std::string& step : {
             "keygen --fast-kdf --out " + ShellQuote(P("keys")),
             "generate --records 120 --seed 5 --out " + ShellQuote(P("cohort.csv")),
             "schema --in " + ShellQuote(P("cohort.csv")) + " --out " +
                 ShellQuote(P("schema.json")) + " --max-records 1000",
             "clean --schema " + ShellQuote(P("schema.json")) + " --in " +
                 ShellQuote(P("cohort.csv")) + " --out " + ShellQuote(P("clean.csv")),
             "encrypt --schema " + ShellQuote(P("schema.json")) + " --key " +
                 ShellQuote(P("keys")) + " --in " + ShellQuote(P("clean.csv")) + " --out " +
                 ShellQuote(P("dataset")),
             "query --data " + ShellQuote(P("dataset")) + " --sql " + ShellQuote(kSql) + " --out " +
                 ShellQuote(P("result.json")),
             "decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
                 " --format csv --out " + ShellQuote(P("released.csv")),
         }) {
      steps_.push_back(Cli(step));
    }
    wrong_passphrase_ =
        Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
                " --out " + ShellQuote(P("never.csv")),
            "not the passphrase");
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    for (const CommandResult& r : steps_) ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static std::string P(const std::string& name) { return *dir_ / name; }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline std::vector<CommandResult> steps_;
  static inline CommandResult wrong_passphrase_;
};

TEST_F(AuditCliTest, PipelineLeavesALogThatVerifiesWithTheRightDigests) {
  EXPECT_NE(wrong_passphrase_.exit_code, 0) << wrong_passphrase_.output;
  EXPECT_FALSE(fs::exists(P("never.csv")));

  std::vector<nlohmann::json> entries;
  for (const std::string& line : Lines(ReadText(P("audit.jsonl")))) {
    entries.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(entries.size(), 5u) << ReadText(P("audit.jsonl"));
  const std::vector<std::string> actions = {"keygen", "encrypt", "query", "decrypt",
                                            "failed passphrase"};
  auto pk = crypto::ReadPublicKey(P("keys"));
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  const std::string manifest = SignedContentDigest(P("dataset"));
  const std::string result = Sha256OfFile(P("result.json"));
  for (size_t i = 0; i < entries.size(); ++i) {
    const nlohmann::json& e = entries[i];
    EXPECT_EQ(e["seq"], i + 1);
    EXPECT_EQ(e["action"], actions[i]);
    EXPECT_EQ(e["actor"]["key"], pk->Fingerprint()) << e.dump();
    EXPECT_EQ(e["actor"]["user"], audit::CurrentUserName());
  }
  EXPECT_EQ(entries[1]["dataset"], manifest);
  EXPECT_EQ(entries[2]["dataset"], manifest);
  EXPECT_EQ(entries[2]["result"], result);
  EXPECT_EQ(entries[2]["query"], kSql);
  EXPECT_EQ(entries[3]["dataset"], manifest);
  EXPECT_EQ(entries[3]["result"], result);
  EXPECT_EQ(entries[3]["query"], kSql);
  EXPECT_TRUE(Contains(entries[4]["detail"].get<std::string>(), "wrong passphrase"))
      << entries[4].dump();

  CommandResult verify = Cli("audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_TRUE(Contains(verify.output, "5 entries; every hash, signature and link verifies"))
      << verify.output;
  EXPECT_TRUE(Contains(verify.output, "anchor of")) << verify.output;

  // The trusted-key list: this actor's key passes, another one does not.
  CommandResult key = Cli("audit key");
  ASSERT_EQ(key.exit_code, 0) << key.output;
  const std::string me = entries[0]["actor"]["audit_key"];
  EXPECT_TRUE(Contains(key.output, me)) << key.output;
  WriteText(P("trusted.txt"), "# the owner\n" + me + "  owner\n");
  EXPECT_EQ(Cli("audit verify --trusted " + ShellQuote(P("trusted.txt"))).exit_code, 0);
  WriteText(P("other.txt"), std::string(64, 'a') + "\n");
  CommandResult untrusted = Cli("audit verify --trusted " + ShellQuote(P("other.txt")));
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_TRUE(Contains(untrusted.output, "line 1: signed by audit key")) << untrusted.output;
}

TEST(AuditCliShowTest, ControlCharactersInLoggedTextAreEscaped) {
  ScratchDir dir;
  auto id = audit::Identity::OpenOrCreate(dir / "me");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  audit::Event e;
  e.action = "query";
  e.query = "SELECT 1\n    2 forged\x1b[2J";
  ASSERT_TRUE(audit::Append(dir / "log.jsonl", **id, e).ok());
  CommandResult r = testing::RunCommand(ShellQuote(testing::Binary()) + " audit show --log " +
                                        ShellQuote(dir / "log.jsonl"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "query: SELECT 1\\n    2 forged\\x1b[2J")) << r.output;
  EXPECT_FALSE(Contains(r.output, "\x1b")) << r.output;
}

TEST(AuditCliHelpTest, AuditCommandsHaveHelp) {
  for (const std::string command : {"verify", "show", "key"}) {
    CommandResult r =
        testing::RunCommand(ShellQuote(testing::Binary()) + " audit " + command + " --help");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, command == "show" ? "--action" : "--help")) << r.output;
  }
  CommandResult top = testing::RunCommand(ShellQuote(testing::Binary()) + " --help");
  EXPECT_TRUE(Contains(top.output, "--audit-log")) << top.output;
  EXPECT_TRUE(Contains(top.output, "audit")) << top.output;
}

TEST_F(AuditCliTest, ShowFilters) {
  CommandResult all = Cli("audit show");
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_TRUE(Contains(all.output, "5 of 5 entries shown")) << all.output;
  EXPECT_TRUE(Contains(all.output, std::string("query: ") + kSql)) << all.output;

  CommandResult decrypts = Cli("audit show --action decrypt");
  ASSERT_EQ(decrypts.exit_code, 0) << decrypts.output;
  EXPECT_TRUE(Contains(decrypts.output, "1 of 5 entries shown")) << decrypts.output;

  const std::string manifest = SignedContentDigest(P("dataset"));
  CommandResult by_dataset =
      Cli("audit show --json --dataset " + manifest.substr(0, 12) + " --since 2000-01-01");
  ASSERT_EQ(by_dataset.exit_code, 0) << by_dataset.output;
  size_t json_lines = 0;
  for (const std::string& line : Lines(by_dataset.output)) json_lines += line.rfind("{", 0) == 0;
  EXPECT_EQ(json_lines, 3u) << by_dataset.output;  // encrypt, query, decrypt

  CommandResult failed = Cli("audit show --action 'failed passphrase' --actor " +
                             ShellQuote(audit::CurrentUserName()));
  EXPECT_TRUE(Contains(failed.output, "1 of 5 entries shown")) << failed.output;
  CommandResult future = Cli("audit show --since 2999-01-01");
  EXPECT_TRUE(Contains(future.output, "0 of 5 entries shown")) << future.output;
}

TEST_F(AuditCliTest, VerifyNamesTheTamperedLine) {
  const std::string original = ReadText(P("audit.jsonl"));
  std::vector<std::string> lines = Lines(original);
  ASSERT_EQ(lines.size(), 5u);
  auto write = [&](const std::vector<std::string>& ls) {
    std::string text;
    for (const std::string& l : ls) text += l + "\n";
    WriteText(P("audit.jsonl"), text);
  };
  struct Case {
    std::string name;
    std::vector<std::string> lines;
    std::string expect;
  };
  std::vector<Case> cases;
  {
    auto modified = lines;
    modified[3].replace(modified[3].find("\"decrypt\""), 9, "\"encrypt\"");
    cases.push_back({"modified", modified, "line 4:"});
    auto deleted = lines;
    deleted.erase(deleted.begin() + 1);
    cases.push_back({"deleted", deleted, "line 2:"});
    auto inserted = lines;
    inserted.insert(inserted.begin() + 3, lines[0]);
    cases.push_back({"inserted", inserted, "line 4:"});
    auto reordered = lines;
    std::swap(reordered[2], reordered[3]);
    cases.push_back({"reordered", reordered, "line 3:"});
    auto truncated = lines;
    truncated.pop_back();
    cases.push_back({"truncated", truncated, "line 5: missing"});
  }
  for (const Case& c : cases) {
    write(c.lines);
    CommandResult r = Cli("audit verify");
    EXPECT_EQ(r.exit_code, 1) << c.name << "\n" << r.output;
    EXPECT_TRUE(Contains(r.output, c.expect)) << c.name << "\n" << r.output;
  }
  WriteText(P("audit.jsonl"), original);
  EXPECT_EQ(Cli("audit verify").exit_code, 0);
}

// Attack 8 of issue 17 through the real binary: whoever can write the log cuts the owner's
// tail off and refills it with entries another identity signs, chained so that the log
// verifies on its own, as long as before and longer. The owner's next command must neither
// record into it (and so does nothing) nor move the anchor, and `audit verify` names the line.
TEST_F(AuditCliTest, ATailRewrittenAfterTheAnchorStopsTheNextCommandAndFailsVerify) {
  const std::string original = ReadText(P("audit.jsonl"));
  const std::vector<std::string> lines = Lines(original);
  ASSERT_EQ(lines.size(), 5u);
  auto mallory = audit::Identity::OpenOrCreate(P("mallory"));
  ASSERT_TRUE(mallory.ok()) << mallory.status().ToString();
  audit::Event forged;
  forged.action = "query";
  forged.query = kSql;
  for (int refill : {2, 4}) {  // back to 5 entries, and to 7
    const std::string copy = P("rewritten-" + std::to_string(refill) + ".jsonl");
    WriteText(copy, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
    for (int i = 0; i < refill; ++i) ASSERT_TRUE(audit::Append(copy, **mallory, forged).ok());
    const std::string rewritten = ReadText(copy);
    WriteText(P("audit.jsonl"), rewritten);
    ASSERT_EQ(Cli("audit verify --log " + ShellQuote(copy)).exit_code, 0);

    CommandResult query = Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
                              ShellQuote(kSql) + " --out " + ShellQuote(P("after-rewrite.json")));
    EXPECT_NE(query.exit_code, 0) << query.output;
    EXPECT_TRUE(Contains(query.output, "line 5: does not have the head hash")) << query.output;
    EXPECT_TRUE(Contains(query.output, "rewritten after the anchor")) << query.output;
    EXPECT_FALSE(fs::exists(P("after-rewrite.json")));
    EXPECT_EQ(ReadText(P("audit.jsonl")), rewritten) << "the refused command wrote to the log";

    CommandResult verify = Cli("audit verify");
    EXPECT_EQ(verify.exit_code, 1) << refill << "\n" << verify.output;
    EXPECT_TRUE(Contains(verify.output, "line 5: does not have the head hash")) << verify.output;
    EXPECT_TRUE(Contains(verify.output, "rewritten after the anchor")) << verify.output;
  }
  WriteText(P("audit.jsonl"), original);
  EXPECT_EQ(Cli("audit verify").exit_code, 0);
}

TEST_F(AuditCliTest, AnUnwritableLogStopsTheCommandWithNoOutput) {
  const std::string nowhere = " --audit-log " + ShellQuote(P("missing-folder/audit.jsonl"));
  CommandResult decrypt =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
          " --out " + ShellQuote(P("leak.csv")) + nowhere);
  EXPECT_NE(decrypt.exit_code, 0) << decrypt.output;
  // A release is recorded in the ledger beside the log (pipeline/ledger.h) before the log
  // itself: the same missing folder stops it there, and creates nothing.
  EXPECT_TRUE(Contains(decrypt.output, "release ledger: " + P("missing-folder/ledger/")))
      << decrypt.output;
  EXPECT_FALSE(fs::exists(P("leak.csv")));
  EXPECT_FALSE(fs::exists(P("missing-folder")));

  CommandResult query =
      Cli("query --data " + ShellQuote(P("dataset")) + " --sql " + ShellQuote(kSql) + " --out " +
          ShellQuote(P("unrecorded.json")) + nowhere);
  EXPECT_NE(query.exit_code, 0) << query.output;
  EXPECT_FALSE(fs::exists(P("unrecorded.json")));

  CommandResult encrypt =
      Cli("encrypt --schema " + ShellQuote(P("schema.json")) + " --key " + ShellQuote(P("keys")) +
          " --in " + ShellQuote(P("clean.csv")) + " --out " + ShellQuote(P("dataset2")) + nowhere);
  EXPECT_NE(encrypt.exit_code, 0) << encrypt.output;
  EXPECT_FALSE(fs::exists(P("dataset2")));
  // The real log saw none of it.
  EXPECT_EQ(Lines(ReadText(P("audit.jsonl"))).size(), 5u);
}

// A release whose output cannot be written after it was recorded is closed by an entry that
// says so: the log never claims a table was released to a file that does not exist.
TEST_F(AuditCliTest, AFailedWriteAfterTheEntryIsRecordedAsSuch) {
  const std::string log = " --audit-log " + ShellQuote(P("closing.jsonl"));
  CommandResult decrypt =
      Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
          " --format json --out " + ShellQuote(P("no-such-folder/released.json")) + log);
  EXPECT_NE(decrypt.exit_code, 0) << decrypt.output;
  EXPECT_FALSE(fs::exists(P("no-such-folder")));
  std::vector<nlohmann::json> entries;
  for (const std::string& line : Lines(ReadText(P("closing.jsonl")))) {
    entries.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(entries.size(), 2u) << ReadText(P("closing.jsonl"));
  EXPECT_EQ(entries[0]["action"], "decrypt");
  EXPECT_EQ(entries[1]["action"], "output failed");
  EXPECT_EQ(entries[1]["result"], entries[0]["result"]);
  const std::string detail = entries[1]["detail"].get<std::string>();
  EXPECT_TRUE(Contains(detail, "no-such-folder/released.json")) << detail;
  EXPECT_TRUE(Contains(detail, "the 'decrypt' entry above released nothing")) << detail;
  EXPECT_EQ(Cli("audit verify --log " + ShellQuote(P("closing.jsonl"))).exit_code, 0);
}

}  // namespace
}  // namespace cipherstat
