// Keys and custodians through the real binary: wrong and corrupted keystores, `key passwd`,
// `key show`, t-of-n threshold decryption (`decrypt-share`, `combine`) against the whole-key
// `decrypt` and the plaintext computation, partials sealed to the designated combiner (an
// outsider holding them cannot combine), every kind of bad partial, unsigned datasets, and
// the compute side refusing secret key material.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/combiner.h"
#include "crypto/threshold_files.h"
#include "query/decode.h"
#include "report/render.h"
#include "store/dataset.h"
#include "store/json_checksum.h"
#include "test_util.h"

namespace cipherstat {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ReadText;
using testing::ScratchDir;
using testing::ShellQuote;
using testing::WriteText;

constexpr char kOwnerPass[] = "owner passphrase 1";
constexpr char kSql[] = "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm";

// Runs `cipherstat ARGS` with `env` prepended.
CommandResult Cs(const std::string& args, const std::string& env = "") {
  const std::string line =
      (env.empty() ? "" : env + " ") + ShellQuote(testing::Binary()) + " " + args + " </dev/null";
  CommandResult r = testing::RunCommand(line);
  r.output = "$ " + line + "\n" + r.output;
  return r;
}

std::string Pass(const std::string& p) { return "CIPHERSTAT_PASSPHRASE=" + ShellQuote(p); }

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr char kWrongPassphrase[] = "wrong passphrase, or the keystore was altered";

// The command's own output, without the "$ command" line Cs puts first.
std::string OutputOf(const CommandResult& r) { return r.output.substr(r.output.find('\n') + 1); }

// The last entry of the audit log at `log`.
nlohmann::json LastAuditEntry(const std::string& log) {
  const std::string text = ReadText(log);
  const size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return nullptr;
  const size_t start = text.rfind('\n', end);
  return nlohmann::json::parse(text.substr(start == std::string::npos ? 0 : start + 1));
}
std::string AuditLog(const std::string& log) { return "CIPHERSTAT_AUDIT_LOG=" + ShellQuote(log); }

class KeysCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    const ScratchDir& d = *dir_;
    auto step = [](const std::string& args, const std::string& env = "") {
      steps_.push_back(Cs(args, env));
    };
    steps_.clear();
    step("generate --records 120 --seed 5 --out " + ShellQuote(d / "cohort.csv"));
    step("schema --in " + ShellQuote(d / "cohort.csv") + " --out " + ShellQuote(d / "schema.json") +
         " --max-records 1000");
    step("clean --schema " + ShellQuote(d / "schema.json") + " --in " +
         ShellQuote(d / "cohort.csv") + " --out " + ShellQuote(d / "clean.csv"));
    // A whole key, its dataset, result and released table.
    step("keygen --fast-kdf --out " + ShellQuote(d / "keys"), Pass(kOwnerPass));
    step("encrypt --schema " + ShellQuote(d / "schema.json") + " --key " + ShellQuote(d / "keys") +
             " --in " + ShellQuote(d / "clean.csv") + " --out " + ShellQuote(d / "dataset"),
         Pass(kOwnerPass));
    step("query --data " + ShellQuote(d / "dataset") + " --sql " + ShellQuote(kSql) + " --out " +
         ShellQuote(d / "result.json"));
    step("decrypt --key " + ShellQuote(d / "keys") + " --in " + ShellQuote(d / "result.json") +
             " --format csv --out " + ShellQuote(d / "whole.csv"),
         Pass(kOwnerPass));
    // A 2-of-3 threshold key, its dataset, result and three partials.
    WriteText(d / "shares.txt", "custodian one\ncustodian two\ncustodian three\n");
    step("keygen --fast-kdf --custodians 3 --threshold 2 --share-passphrases " +
             ShellQuote(d / "shares.txt") + " --out " + ShellQuote(d / "tkeys"),
         Pass(kOwnerPass));
    step("encrypt --schema " + ShellQuote(d / "schema.json") + " --key " + ShellQuote(d / "tkeys") +
             " --in " + ShellQuote(d / "clean.csv") + " --out " + ShellQuote(d / "tdataset"),
         Pass(kOwnerPass));
    step("query --data " + ShellQuote(d / "tdataset") + " --sql " + ShellQuote(kSql) + " --out " +
         ShellQuote(d / "tresult.json"));
    const char* names[] = {"one", "two", "three"};
    for (int i = 1; i <= 3; ++i) {
      step("decrypt-share --key " + ShellQuote(d / ("tkeys/share-" + std::to_string(i) + ".key")) +
               " --in " + ShellQuote(d / "tresult.json") + " --out " + ShellQuote(Partial(i)),
           Pass(std::string("custodian ") + names[i - 1]));
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    for (const CommandResult& r : steps_) {
      ASSERT_EQ(r.exit_code, 0) << "suite set-up step failed:\n" << r.output;
    }
  }

  static std::string D(const std::string& name) { return *dir_ / name; }
  static std::string Partial(int i) { return *dir_ / ("partial-" + std::to_string(i) + ".json"); }
  // combine as the designated combiner: by default the owner, with tkeys/combiner.key.
  static CommandResult Combine(const std::vector<std::string>& partials,
                               const std::string& extra = "", const std::string& folder = "tkeys",
                               const std::string& passphrase = kOwnerPass) {
    std::string args =
        "combine --key " + ShellQuote(D(folder)) + " --in " + ShellQuote(D("tresult.json"));
    for (const auto& p : partials) args += " " + ShellQuote(p);
    return Cs(args + " " + extra, Pass(passphrase));
  }
  // Writes `to`: the partial `from` with its content changed by `edit`, sealed again to the
  // combiner, as anyone can (sealing takes only the combiner's public key).
  static void Reseal(const std::string& from, const std::string& to,
                     const std::function<void(std::string&)>& edit) {
    auto combiner =
        crypto::ReadCombinerKeystore(D("tkeys/combiner.key"), crypto::Passphrase(kOwnerPass));
    ASSERT_TRUE(combiner.ok()) << combiner.status().ToString();
    auto file = crypto::OpenPartialFile(ReadText(from), *combiner, from);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    std::string content = crypto::PartialFileToJson(*file);
    edit(content);
    auto edited = crypto::PartialFileFromJson(content, to);
    ASSERT_TRUE(edited.ok()) << edited.status().ToString();
    WriteText(to, crypto::SealPartialFile(*edited, combiner->public_key()));
  }
  static void ExpectNoFile(const std::string& path) {
    EXPECT_FALSE(fs::exists(path)) << path << " was written";
  }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline std::vector<CommandResult> steps_;
};

TEST_F(KeysCliTest, WrongPassphraseDecryptsNothing) {
  const std::string out = D("wrong.csv");
  const std::string log = D("wrong-audit.jsonl");
  CommandResult r = Cs("decrypt --key " + ShellQuote(D("keys")) + " --in " +
                           ShellQuote(D("result.json")) + " --format csv --out " + ShellQuote(out),
                       Pass("not the passphrase") + " " + AuditLog(log));
  EXPECT_NE(r.exit_code, 0) << r.output;
  const std::string message = "Invalid argument: " + D("keys/secret.key") + ": " + kWrongPassphrase;
  EXPECT_EQ(OutputOf(r), "cipherstat decrypt: " + message + "\n");
  ExpectNoFile(out);
  const nlohmann::json entry = LastAuditEntry(log);
  EXPECT_EQ(entry["action"], "failed passphrase") << entry.dump();
  EXPECT_EQ(entry["detail"], message) << entry.dump();
}

// A keystore cut short inside its sealed key (a copy that did not finish, a full disk): damaged,
// said in a line, never kilobytes of the sealed key's hex, and never audited as a wrong
// passphrase, by every command that opens a keystore.
TEST_F(KeysCliTest, TruncatedKeystoreIsDamagedNotAFailedPassphrase) {
  struct Case {
    std::string command, keystore, env;
  };
  fs::copy(D("keys"), D("keys-truncated"), fs::copy_options::recursive);
  fs::copy(D("keys"), D("keys-truncated-2"), fs::copy_options::recursive);
  fs::copy(D("tkeys"), D("tkeys-truncated"), fs::copy_options::recursive);
  const std::string out = D("truncated.out");
  const std::vector<Case> cases = {
      {"decrypt --key " + ShellQuote(D("keys-truncated")) + " --in " +
           ShellQuote(D("result.json")) + " --out " + ShellQuote(out),
       D("keys-truncated/secret.key"), Pass(kOwnerPass)},
      {"key passwd --key " + ShellQuote(D("keys-truncated-2/secret.key")),
       D("keys-truncated-2/secret.key"), Pass(kOwnerPass) + " CIPHERSTAT_NEW_PASSPHRASE=x"},
      {"decrypt-share --key " + ShellQuote(D("tkeys-truncated/share-1.key")) + " --in " +
           ShellQuote(D("tresult.json")) + " --out " + ShellQuote(out),
       D("tkeys-truncated/share-1.key"), Pass("custodian one")},
      {"combine --key " + ShellQuote(D("tkeys-truncated")) + " --in " +
           ShellQuote(D("tresult.json")) + " " + ShellQuote(Partial(1)) + " " +
           ShellQuote(Partial(2)) + " --out " + ShellQuote(out),
       D("tkeys-truncated/combiner.key"), Pass(kOwnerPass)},
  };
  for (const Case& c : cases) {
    std::string text = ReadText(c.keystore);
    // Inside the sealed key's hex: 300 digits in, or short of its end in a small keystore.
    const size_t cut = std::min(text.find("\"ciphertext\"") + 300, text.rfind('"') - 10);
    WriteText(c.keystore, text.substr(0, cut));
    const std::string log = D("truncated-audit.jsonl");
    CommandResult r = Cs(c.command, c.env + " " + AuditLog(log));
    EXPECT_NE(r.exit_code, 0) << r.output;
    const std::string message = "Corruption: " + c.keystore +
                                ": damaged or truncated keystore (not valid JSON (at byte " +
                                std::to_string(cut + 1) + "))";
    const std::string line = OutputOf(r);
    EXPECT_TRUE(line.ends_with(": " + message + "\n")) << r.output;
    EXPECT_LT(line.size(), 300u) << r.output;
    EXPECT_LE(testing::LongestHexRun(line), 64u) << r.output;
    const nlohmann::json entry = LastAuditEntry(log);
    EXPECT_EQ(entry["action"], "corrupt keystore") << entry.dump();
    EXPECT_EQ(entry["detail"], message) << entry.dump();
    EXPECT_LE(testing::LongestHexRun(entry["detail"].get<std::string>()), 64u);
    ExpectNoFile(out);
  }
}

// No passphrase anywhere and no terminal (setsid: no controlling terminal to prompt on): the
// message names the variable and the flag that command reads.
TEST_F(KeysCliTest, NoPassphraseNamesWhatTheCommandReads) {
  auto run = [](const std::string& args, const std::string& env = "") {
    return testing::RunCommand(env + " setsid " + ShellQuote(testing::Binary()) + " " + args +
                               " </dev/null");
  };
  const std::string share = D("tkeys/share-1.key");
  CommandResult r = run("decrypt-share --key " + ShellQuote(share) + " --in " +
                        ShellQuote(D("tresult.json")) + " --out " + ShellQuote(D("nopass.json")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "cipherstat decrypt-share: Invalid argument: no passphrase for " + share +
                          ": set CIPHERSTAT_PASSPHRASE, pass --passphrase-file, or run on a "
                          "terminal\n");
  // combine opens the combiner's keystore.
  r = run("combine --key " + ShellQuote(D("tkeys")) + " --in " + ShellQuote(D("tresult.json")) +
          " " + ShellQuote(Partial(1)) + " " + ShellQuote(Partial(2)));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "cipherstat combine: Invalid argument: no passphrase for " +
                          D("tkeys/combiner.key") +
                          ": set CIPHERSTAT_PASSPHRASE, pass --passphrase-file, or run on a "
                          "terminal\n");
  // keygen --custodians: the owner's passphrase is set, custodian 2's is not.
  r = run("keygen --fast-kdf --custodians 2 --threshold 2 --out " + ShellQuote(D("nopass-keys")),
          Pass(kOwnerPass) + " CIPHERSTAT_SHARE_PASSPHRASE_1=one");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "cipherstat keygen: Invalid argument: no passphrase for custodian 2's share: set "
            "CIPHERSTAT_SHARE_PASSPHRASE_2, pass --share-passphrases (line 2), or run on a "
            "terminal\n");
  ExpectNoFile(D("nopass-keys"));
  // key passwd: the current passphrase is set, the new one is not.
  r = run("key passwd --key " + ShellQuote(D("keys/secret.key")), Pass(kOwnerPass));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "cipherstat passwd: Invalid argument: no new passphrase for " +
                          D("keys/secret.key") +
                          ": set CIPHERSTAT_NEW_PASSPHRASE, pass --new-passphrase-file, or run "
                          "on a terminal\n");
}

TEST_F(KeysCliTest, CorruptedKeystoreByteIsRefused) {
  fs::copy(D("keys"), D("keys-corrupt"), fs::copy_options::recursive);
  std::string text = ReadText(D("keys-corrupt/secret.key"));
  const size_t at = text.find("\"ciphertext\"");
  ASSERT_NE(at, std::string::npos);
  const size_t digit = at + 40;  // inside the hex of the sealed key
  text[digit] = text[digit] == 'a' ? 'b' : 'a';
  WriteText(D("keys-corrupt/secret.key"), text);
  const std::string out = D("corrupt.csv");
  CommandResult r = Cs("decrypt --key " + ShellQuote(D("keys-corrupt")) + " --in " +
                           ShellQuote(D("result.json")) + " --format csv --out " + ShellQuote(out),
                       Pass(kOwnerPass));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, kWrongPassphrase)) << r.output;
  ExpectNoFile(out);
}

TEST_F(KeysCliTest, KeyPasswdOldFailsNewWorksAtomically) {
  fs::copy(D("keys"), D("keys-passwd"), fs::copy_options::recursive);
  const std::string before = ReadText(D("keys-passwd/secret.key"));
  // A wrong current passphrase changes nothing.
  CommandResult wrong = Cs("key passwd --key " + ShellQuote(D("keys-passwd")),
                           Pass("nope") + " CIPHERSTAT_NEW_PASSPHRASE='brand new one'");
  EXPECT_NE(wrong.exit_code, 0) << wrong.output;
  EXPECT_TRUE(Has(wrong.output, kWrongPassphrase)) << wrong.output;
  EXPECT_EQ(ReadText(D("keys-passwd/secret.key")), before);

  WriteText(D("new-pass.txt"), "brand new one\n");
  CommandResult ok = Cs("key passwd --key " + ShellQuote(D("keys-passwd")) +
                            " --new-passphrase-file " + ShellQuote(D("new-pass.txt")),
                        Pass(kOwnerPass));
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ReadText(D("keys-passwd/secret.key")), before);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(D("keys-passwd")))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"public.key", "secret.key"}));

  const std::string decrypt = "decrypt --key " + ShellQuote(D("keys-passwd")) + " --in " +
                              ShellQuote(D("result.json")) + " --format csv";
  CommandResult old_pass = Cs(decrypt, Pass(kOwnerPass));
  EXPECT_NE(old_pass.exit_code, 0) << old_pass.output;
  EXPECT_TRUE(Has(old_pass.output, "wrong passphrase")) << old_pass.output;
  CommandResult new_pass =
      Cs(decrypt + " --out " + ShellQuote(D("passwd.csv")), Pass("brand new one"));
  ASSERT_EQ(new_pass.exit_code, 0) << new_pass.output;
  EXPECT_EQ(ReadText(D("passwd.csv")), ReadText(D("whole.csv")));
}

TEST_F(KeysCliTest, KeyShowPrintsParametersNeverSecrets) {
  CommandResult r = Cs("key show --key " + ShellQuote(D("keys")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "kind              owner")) << r.output;
  EXPECT_TRUE(Has(r.output, "key bits          2048")) << r.output;
  EXPECT_TRUE(Has(r.output, "opslimit")) << r.output;
  EXPECT_TRUE(Has(r.output, "owner verify key")) << r.output;
  EXPECT_TRUE(Has(r.output, "version 2")) << r.output;
  const std::string store = ReadText(D("keys/secret.key"));
  const size_t at = store.find("\"ciphertext\": \"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_FALSE(Has(r.output, store.substr(at + 15, 32))) << "sealed bytes printed";
  EXPECT_FALSE(Has(r.output, "ciphertext"));

  CommandResult share = Cs("key show --key " + ShellQuote(D("tkeys/share-2.key")));
  ASSERT_EQ(share.exit_code, 0) << share.output;
  EXPECT_TRUE(Has(share.output, "share             2 of 3 (any 2 combine)")) << share.output;
  // The combiner a custodian seals to, as its keystore names it: the one keygen made.
  const nlohmann::json folder = nlohmann::json::parse(ReadText(D("tkeys/threshold.json")));
  const std::string combiner_line =
      "combiner key      " + folder["combiner_key"].get<std::string>() + " (X25519";
  EXPECT_TRUE(Has(share.output, combiner_line)) << share.output;
  CommandResult combiner = Cs("key show --key " + ShellQuote(D("tkeys/combiner.key")));
  ASSERT_EQ(combiner.exit_code, 0) << combiner.output;
  EXPECT_TRUE(Has(combiner.output, "kind              combiner")) << combiner.output;
  EXPECT_TRUE(Has(combiner.output, combiner_line)) << combiner.output;
}

TEST_F(KeysCliTest, ThresholdCombineEqualsDecryptEqualsPlaintext) {
  CommandResult a =
      Combine({Partial(1), Partial(3)}, "--format csv --out " + ShellQuote(D("t13.csv")));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  CommandResult b =
      Combine({Partial(3), Partial(2)}, "--format csv --out " + ShellQuote(D("t32.csv")));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  CommandResult c = Combine({Partial(1), Partial(2), Partial(3)}, "--format csv");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const std::string combined = ReadText(D("t13.csv"));
  EXPECT_EQ(ReadText(D("t32.csv")), combined);
  // The whole-key path over another encryption of the same records gives the same table…
  EXPECT_EQ(ReadText(D("whole.csv")), combined);
  // …and so does the plaintext computation over the clean CSV.
  auto schema = ReadSchemaFile(D("schema.json"));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto dataset = OpenDataset(D("tdataset"));
  ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
  auto plain = EvaluatePlaintext(*schema, static_cast<int>(dataset->public_key.plaintext_bits()),
                                 kSql, D("clean.csv"), ReleaseOptions{});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(RenderCsv(*plain), combined);
  EXPECT_TRUE(Has(combined, "arm")) << combined;
}

TEST_F(KeysCliTest, FewerThanThresholdPartialsGiveAClearError) {
  const std::string out = D("t1.csv");
  CommandResult r = Combine({Partial(1)}, "--out " + ShellQuote(out));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "2 of 3 custodians are needed, 1 given")) << r.output;
  ExpectNoFile(out);
  CommandResult twice = Combine({Partial(2), Partial(2)});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_TRUE(Has(twice.output, "a second partial from custodian 2")) << twice.output;
}

TEST_F(KeysCliTest, PartialForADifferentResultIsNamed) {
  CommandResult q =
      Cs("query --data " + ShellQuote(D("tdataset")) + " --sql " +
         ShellQuote("SELECT COUNT(*) FROM cohort") + " --out " + ShellQuote(D("tother.json")));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  CommandResult s = Cs("decrypt-share --key " + ShellQuote(D("tkeys/share-2.key")) + " --in " +
                           ShellQuote(D("tother.json")) + " --out " + ShellQuote(D("other-2.json")),
                       Pass("custodian two"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  CommandResult r = Combine({Partial(1), D("other-2.json")});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "other-2.json: made for a different result")) << r.output;
}

// Anyone can seal to the combiner's public key, so the proofs still decide: a partial whose
// content was changed and sealed again is refused by its proof.
TEST_F(KeysCliTest, TamperedOrRelabelledPartialIsNamed) {
  // One hex digit of one partial value changed.
  Reseal(Partial(3), D("tampered-3.json"), [](std::string& text) {
    const size_t at = text.find("\"c\": \"");
    ASSERT_NE(at, std::string::npos);
    const size_t digit = at + 20;
    text[digit] = text[digit] == '1' ? '2' : '1';
  });
  CommandResult r = Combine({Partial(1), D("tampered-3.json")});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "tampered-3.json")) << r.output;
  EXPECT_TRUE(Has(r.output, "custodian 3")) << r.output;

  // Custodian 2's partial presented as custodian 3's: a partial from the wrong share.
  Reseal(Partial(2), D("relabelled.json"), [](std::string& text) {
    const size_t c = text.find("\"custodian\": 2");
    ASSERT_NE(c, std::string::npos);
    text.replace(c, 14, "\"custodian\": 3");
  });
  CommandResult w = Combine({Partial(1), D("relabelled.json")});
  EXPECT_NE(w.exit_code, 0) << w.output;
  EXPECT_TRUE(Has(w.output, "relabelled.json")) << w.output;
  EXPECT_TRUE(Has(w.output, "proof of correct decryption fails")) << w.output;
}

// Issue 17, attack 6, first half: a custodian partially decrypts only a result shaped as its
// query gives over the signed dataset. Here the "groups" are raw record ciphertexts, each
// claiming one record: refused before any partial decryption, and nothing is written.
TEST_F(KeysCliTest, CustodianRefusesRawRecordsPosingAsGroups) {
  nlohmann::json result = nlohmann::json::parse(ReadText(D("tresult.json")));
  const std::vector<int> summed = result.at("ciphertexts").get<std::vector<int>>();
  nlohmann::json groups = nlohmann::json::array();
  // The first 20 records' ciphertexts, from the columns the result sums.
  const auto manifest = nlohmann::json::parse(ReadText(D("tdataset/manifest.json")));
  const size_t records = manifest.at("segments").at(0).at("records").get<size_t>();
  ASSERT_GE(records, 20u);
  for (size_t r = 0; r < 20; ++r) {
    nlohmann::json sums = nlohmann::json::array();
    for (int k : summed) {
      const std::string column = ReadText(D("tdataset/segments/part-00000.c" + std::to_string(k)));
      const size_t width = column.size() / records;
      std::string b64(sodium_base64_encoded_len(width, sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
                      '\0');
      sodium_bin2base64(b64.data(), b64.size(),
                        reinterpret_cast<const unsigned char*>(column.data()) + r * width, width,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
      b64.pop_back();  // the terminating NUL
      sums.push_back(b64);
    }
    groups.push_back({{"key", nlohmann::json::array()}, {"records", 1}, {"sums", sums}});
  }
  result["groups"] = groups;
  result.erase("checksum");
  WriteText(D("raw-records.json"), DumpWithChecksum(result));
  const std::string out = D("raw-partial-1.json");
  CommandResult r = Cs("decrypt-share --key " + ShellQuote(D("tkeys/share-1.key")) + " --in " +
                           ShellQuote(D("raw-records.json")) + " --out " + ShellQuote(out),
                       Pass("custodian one"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "result failed verification: it holds 20 groups")) << r.output;
  ExpectNoFile(out);
}

// The minimum cell size is the owner's signed policy (encrypt --min-cell, default 11): the
// combiner may ask for a stricter one, never a weaker one.
TEST_F(KeysCliTest, CombineCannotLowerTheSignedMinimumCellSize) {
  CommandResult weaker = Combine({Partial(1), Partial(2)}, "--min-cell 3 --format json");
  EXPECT_NE(weaker.exit_code, 0) << weaker.output;
  EXPECT_TRUE(Has(weaker.output, "--min-cell 3 is below the owner's signed policy (11 records"))
      << weaker.output;
  CommandResult policy = Combine({Partial(1), Partial(2)}, "--format json");
  ASSERT_EQ(policy.exit_code, 0) << policy.output;
  EXPECT_EQ(nlohmann::json::parse(OutputOf(policy)).at("min_cell"), 11) << policy.output;
  CommandResult stricter = Combine({Partial(1), Partial(2)}, "--min-cell 40 --format json");
  ASSERT_EQ(stricter.exit_code, 0) << stricter.output;
  EXPECT_EQ(nlohmann::json::parse(OutputOf(stricter)).at("min_cell"), 40) << stricter.output;
}

// encrypt --min-cell signs the policy into the dataset: decrypt uses it unless the owner, who
// holds the whole key, asks for another.
TEST_F(KeysCliTest, EncryptSignsTheMinimumCellSizeThatDecryptUses) {
  CommandResult e = Cs("encrypt --min-cell 5 --schema " + ShellQuote(D("schema.json")) + " --key " +
                           ShellQuote(D("keys")) + " --in " + ShellQuote(D("clean.csv")) +
                           " --out " + ShellQuote(D("dataset-5")),
                       Pass(kOwnerPass));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  CommandResult q = Cs("query --data " + ShellQuote(D("dataset-5")) + " --sql " + ShellQuote(kSql) +
                       " --out " + ShellQuote(D("result-5.json")));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  const std::string decrypt = "decrypt --format json --key " + ShellQuote(D("keys")) + " --in " +
                              ShellQuote(D("result-5.json"));
  CommandResult policy = Cs(decrypt, Pass(kOwnerPass));
  ASSERT_EQ(policy.exit_code, 0) << policy.output;
  EXPECT_EQ(nlohmann::json::parse(OutputOf(policy)).at("min_cell"), 5) << policy.output;
  CommandResult owner = Cs(decrypt + " --min-cell 2", Pass(kOwnerPass));
  ASSERT_EQ(owner.exit_code, 0) << owner.output;
  EXPECT_EQ(nlohmann::json::parse(OutputOf(owner)).at("min_cell"), 2) << owner.output;
}

// Issue 17, attack 6: whoever holds threshold.json, a result and t partial files (a compute
// party, anyone the files passed through) decrypted every ciphertext in the result. Partials
// are sealed to the owner's designated combiner now: without its combiner.key nothing opens,
// and a combiner key of their own opens nothing either.
TEST_F(KeysCliTest, OutsiderWithPartialsCannotCombine) {
  const std::string partial = ReadText(Partial(1));
  EXPECT_FALSE(Has(partial, "\"partials\"")) << "partial decryptions in the clear";
  EXPECT_FALSE(Has(partial, "result_sha256"));
  fs::create_directory(D("outsider"));
  fs::copy_file(D("tkeys/public.key"), D("outsider/public.key"));
  fs::copy_file(D("tkeys/threshold.json"), D("outsider/threshold.json"));
  const std::string out = D("outsider.csv");
  CommandResult r = Combine({Partial(1), Partial(3)}, "--out " + ShellQuote(out), "outsider");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(OutputOf(r), "Not found: " + D("outsider/combiner.key") +
                                   ": no such file; partial decryptions are sealed to the "
                                   "combiner the owner designated"))
      << r.output;
  // A combiner key of the outsider's own making, bound to the same threshold key.
  const nlohmann::json folder = nlohmann::json::parse(ReadText(D("tkeys/threshold.json")));
  auto owner = crypto::VerifyKey::FromHex(folder["owner_verify_key"].get<std::string>(), "owner");
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(crypto::WriteCombinerKeystore(D("outsider/combiner.key"),
                                            crypto::CombinerKey::Generate(),
                                            folder["key_fingerprint"].get<std::string>(), *owner,
                                            crypto::Passphrase("outsider"), crypto::FastKdfLimits())
                  .ok());
  r = Combine({Partial(1), Partial(3)}, "--out " + ShellQuote(out), "outsider", "outsider");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(OutputOf(r),
                  "Invalid argument: " + Partial(1) + ": not sealed to this combiner (sealed to "))
      << r.output;
  ExpectNoFile(out);
}

// A partial file is private to its writer, like every output that holds released data.
TEST_F(KeysCliTest, PartialFilesArePrivate) {
  for (int i = 1; i <= 3; ++i) {
    struct stat st {};
    ASSERT_EQ(::stat(Partial(i).c_str(), &st), 0) << Partial(i);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << Partial(i);
  }
}

// One hex digit of the sealed box changed: the box does not open, nothing is combined.
TEST_F(KeysCliTest, TamperedSealedPartialIsRefused) {
  std::string text = ReadText(Partial(3));
  const size_t digit = text.find("\"box\": \"") + 200;
  ASSERT_LT(digit, text.size());
  text[digit] = text[digit] == '1' ? '2' : '1';
  WriteText(D("tampered-box-3.json"), text);
  const std::string out = D("tampered-box.csv");
  CommandResult r = Combine({Partial(1), D("tampered-box-3.json")}, "--out " + ShellQuote(out));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(OutputOf(r),
                  D("tampered-box-3.json") + ": not sealed to this combiner (it does not open"))
      << r.output;
  ExpectNoFile(out);
}

// A partial file from before partials were sealed (version 1, its content in the clear).
TEST_F(KeysCliTest, UnsealedPartialIsRefused) {
  WriteText(D("unsealed.json"),
            R"({"format": "cipherstat-partial-decryption", "version": 1, "custodian": 3})");
  CommandResult r = Combine({Partial(1), D("unsealed.json")});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(OutputOf(r), D("unsealed.json") +
                                   ": an unsealed partial decryption (version 1), usable by "
                                   "anyone who holds it, which combine no longer accepts; the "
                                   "custodian must run decrypt-share again"))
      << r.output;
}

// A custodian seals to the combiner its own share keystore names. A share keystore naming
// another combiner (dealt so, or re-sealed by whoever had the share) makes partials the
// designated combiner cannot open.
TEST_F(KeysCliTest, PartialFromShareNamingAnotherCombinerDoesNotOpen) {
  auto opened =
      crypto::ReadShareKeystore(D("tkeys/share-2.key"), crypto::Passphrase("custodian two"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  fs::create_directory(D("other-combiner"));
  const std::string share = D("other-combiner/share-2.key");
  ASSERT_TRUE(crypto::WriteShareKeystore(
                  share, opened->share, opened->owner, crypto::CombinerKey::Generate().public_key(),
                  crypto::Passphrase("custodian two"), crypto::FastKdfLimits())
                  .ok());
  CommandResult s =
      Cs("decrypt-share --key " + ShellQuote(share) + " --in " + ShellQuote(D("tresult.json")) +
             " --out " + ShellQuote(D("other-combiner-2.json")),
         Pass("custodian two"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  CommandResult r = Combine({Partial(1), D("other-combiner-2.json")});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(OutputOf(r), D("other-combiner-2.json") + ": not sealed to this combiner"))
      << r.output;
}

// The owner designates someone else by giving combiner.key a passphrase of theirs (`key
// passwd`) and handing it over: the owner's passphrase opens it no more (audited as a failed
// passphrase), the new one combines the same table.
TEST_F(KeysCliTest, CombinerHandedOverWithKeyPasswd) {
  fs::copy(D("tkeys"), D("tkeys-handover"), fs::copy_options::recursive);
  const std::string store = D("tkeys-handover/combiner.key");
  CommandResult passwd = Cs("key passwd --key " + ShellQuote(store),
                            Pass(kOwnerPass) + " CIPHERSTAT_NEW_PASSPHRASE='the combiner'");
  ASSERT_EQ(passwd.exit_code, 0) << passwd.output;
  const std::string log = D("handover-audit.jsonl");
  CommandResult old_pass = Cs("combine --key " + ShellQuote(D("tkeys-handover")) + " --in " +
                                  ShellQuote(D("tresult.json")) + " " + ShellQuote(Partial(1)) +
                                  " " + ShellQuote(Partial(2)),
                              Pass(kOwnerPass) + " " + AuditLog(log));
  EXPECT_NE(old_pass.exit_code, 0) << old_pass.output;
  EXPECT_EQ(OutputOf(old_pass),
            "cipherstat combine: Invalid argument: " + store + ": " + kWrongPassphrase + "\n");
  EXPECT_EQ(LastAuditEntry(log)["action"], "failed passphrase");
  CommandResult r =
      Combine({Partial(1), Partial(2)}, "--format csv --out " + ShellQuote(D("handover.csv")),
              "tkeys-handover", "the combiner");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadText(D("handover.csv")), ReadText(D("whole.csv")));
}

TEST_F(KeysCliTest, ComputeSideRefusesSecretKeyMaterial) {
  const std::string args = " --sql " + ShellQuote(kSql) + " --out " + ShellQuote(D("never.json"));
  for (const std::string& folder : {D("keys"), D("tkeys")}) {
    CommandResult r = Cs("query --data " + ShellQuote(folder) + args);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Has(r.output, "holds secret key material")) << r.output;
  }
  // A dataset folder with a keystore dropped into it.
  fs::copy(D("dataset"), D("dataset-with-key"), fs::copy_options::recursive);
  fs::copy_file(D("keys/secret.key"), D("dataset-with-key/secret.key"));
  CommandResult r = Cs("query --data " + ShellQuote(D("dataset-with-key")) + args);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "secret.key holds secret key material")) << r.output;
  // Or an audit signing key (unsealed: it signs audit entries as its actor).
  fs::copy(D("dataset"), D("dataset-with-audit-key"), fs::copy_options::recursive);
  WriteText(D("dataset-with-audit-key/actor.key"),
            R"({"format": "cipherstat-audit-key", "version": 1})");
  r = Cs("query --data " + ShellQuote(D("dataset-with-audit-key")) + args);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "actor.key holds secret key material")) << r.output;
  ExpectNoFile(D("never.json"));
}

TEST_F(KeysCliTest, PublicOnlyDatasetIsUnsignedAndNeedsExplicitConsent) {
  CommandResult e = Cs("encrypt --public-only --schema " + ShellQuote(D("schema.json")) +
                       " --key " + ShellQuote(D("keys")) + " --in " + ShellQuote(D("clean.csv")) +
                       " --out " + ShellQuote(D("udataset")));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_TRUE(Has(e.output, "not signed")) << e.output;
  EXPECT_FALSE(fs::exists(D("udataset/manifest.sig")));
  CommandResult q = Cs("query --data " + ShellQuote(D("udataset")) + " --sql " + ShellQuote(kSql) +
                       " --out " + ShellQuote(D("uresult.json")));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  const std::string decrypt = "decrypt --key " + ShellQuote(D("keys")) + " --in " +
                              ShellQuote(D("uresult.json")) + " --format csv";
  CommandResult refused = Cs(decrypt, Pass(kOwnerPass));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(Has(refused.output, "--allow-unsigned")) << refused.output;
  CommandResult allowed =
      Cs(decrypt + " --allow-unsigned --out " + ShellQuote(D("unsigned.csv")), Pass(kOwnerPass));
  ASSERT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_TRUE(Has(allowed.output, "did not sign")) << allowed.output;
  EXPECT_EQ(ReadText(D("unsigned.csv")), ReadText(D("whole.csv")));
}

// A custodian's partial file and a combined table are outputs like any other (cli/output_test.cc):
// an existing file is replaced only with --force, and a refusal is not audited.
TEST_F(KeysCliTest, PartialAndCombinedOutputsAreReplacedOnlyWithForce) {
  const char* log_env = std::getenv("CIPHERSTAT_AUDIT_LOG");
  const std::string log = log_env != nullptr ? log_env : "";
  const std::string precious = "precious\n";
  const std::string partial = D("partial-again.json");
  const std::string share = "decrypt-share --key " + ShellQuote(D("tkeys/share-1.key")) + " --in " +
                            ShellQuote(D("tresult.json")) + " --out " + ShellQuote(partial);
  const std::string table = D("combined-again.csv");
  const std::string combine = "--format csv --out " + ShellQuote(table);
  for (int forced = 0; forced <= 1; ++forced) {
    WriteText(partial, precious);
    WriteText(table, precious);
    const std::string entries = ReadText(log);
    CommandResult s = Cs(share + (forced ? " --force" : ""), Pass("custodian one"));
    CommandResult c = Combine({Partial(1), Partial(3)}, combine + (forced ? " --force" : ""));
    if (forced) {
      EXPECT_EQ(s.exit_code, 0) << s.output;
      EXPECT_EQ(c.exit_code, 0) << c.output;
      EXPECT_NE(ReadText(partial), precious);
      EXPECT_EQ(ReadText(table), ReadText(D("whole.csv")));
    } else {
      EXPECT_NE(s.exit_code, 0) << s.output;
      EXPECT_NE(c.exit_code, 0) << c.output;
      EXPECT_TRUE(Has(s.output, partial + " exists; pass --force to replace it")) << s.output;
      EXPECT_TRUE(Has(c.output, table + " exists; pass --force to replace it")) << c.output;
      EXPECT_EQ(ReadText(partial), precious);
      EXPECT_EQ(ReadText(table), precious);
      if (!log.empty()) {
        EXPECT_EQ(ReadText(log), entries) << "a refused output was audited";
      }
    }
  }
  // A custodian's share is never an output, even with --force.
  const std::string before = ReadText(D("tkeys/share-2.key"));
  CommandResult r = Cs("decrypt-share --key " + ShellQuote(D("tkeys/share-1.key")) + " --in " +
                           ShellQuote(D("tresult.json")) + " --out " +
                           ShellQuote(D("tkeys/share-2.key")) + " --force",
                       Pass("custodian one"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "key folder")) << r.output;
  EXPECT_EQ(ReadText(D("tkeys/share-2.key")), before);
}

}  // namespace
}  // namespace cipherstat
