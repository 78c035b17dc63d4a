// The Hadoop engine and hdfs:// storage against a real single-node cluster (hadoop/start).
// The cluster tests run only when CIPHERSTAT_TEST_WEBHDFS names a running NameNode's HTTP
// address (hadoop/test sets it); elsewhere they skip. The rest runs everywhere.
#include "engine/hadoop.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "crypto/init.h"
#include "crypto/key_dir.h"
#include "engine/streaming.h"
#include "store/hdfs_storage.h"
#include "store/result_file.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

using testing::CommandResult;
using testing::ScratchDir;

constexpr const char* kPassphrase = "hadoop test passphrase";

CommandResult Cli(const std::string& args, const std::string& env = "") {
  return testing::RunCommand(env + " " + ShellQuote(testing::Binary()) + " " + args);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- Without a cluster ------------------------------------------------------------------------

TEST(HdfsUri, ParsesAndRejects) {
  auto u = ParseHdfsUri("hdfs://127.0.0.1:9870/data/cohort/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->address, "127.0.0.1:9870");
  EXPECT_EQ(u->path, "/data/cohort");
  for (const char* bad : {"hdfs://host/data", "hdfs://host:port/x", "hdfs://h:1", "hdfs://h:1/",
                          "/local/path", "hdfs://h:1/a/../b"}) {
    auto r = ParseHdfsUri(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_TRUE(Contains(r.status().ToString(), "HOST:PORT")) << bad;
    }
  }
}

TEST(HadoopShipping, RefusesSecretsAndUnknownFiles) {
  ASSERT_TRUE(crypto::Init().ok());
  ScratchDir dir;
  CommandResult k = Cli("keygen --fast-kdf --out " + ShellQuote(dir / "keys"),
                        "CIPHERSTAT_PASSPHRASE=" + ShellQuote("x"));
  ASSERT_EQ(k.exit_code, 0) << k.output;
  EXPECT_TRUE(CheckShippable(crypto::PublicKeyPath(dir / "keys")).ok());
  Status secret = CheckShippable(crypto::SecretKeyPath(dir / "keys"));
  EXPECT_FALSE(secret.ok());
  EXPECT_TRUE(Contains(secret.ToString(), "secret key")) << secret.ToString();
  // A secret key hidden inside something that otherwise looks harmless.
  testing::WriteText(dir / "plan.json",
                     StreamingPlanToJson({"SELECT COUNT(*) FROM t",
                                          testing::ReadText(crypto::SecretKeyPath(dir / "keys")),
                                          "hdfs://nn:9870/d",
                                          {}}));
  EXPECT_FALSE(CheckShippable(dir / "plan.json").ok());
  // An audit signing key is no file to ship either.
  testing::WriteText(dir / "actor.key", R"({"format": "cipherstat-audit-key", "version": 1})");
  Status audit_key = CheckShippable(dir / "actor.key");
  EXPECT_FALSE(audit_key.ok());
  EXPECT_TRUE(Contains(audit_key.ToString(), "cipherstat-audit-key")) << audit_key.ToString();
  testing::WriteText(dir / "notes.txt", "hello");
  EXPECT_FALSE(CheckShippable(dir / "notes.txt").ok());
  EXPECT_TRUE(CheckShippable(testing::Binary()).ok());
}

TEST(HadoopConfigFile, ReadsKeysAndNamesBadLines) {
  ScratchDir dir;
  testing::WriteText(dir / "ok.conf",
                     "# an existing cluster\nconf = /etc/hadoop/conf\njars=/opt/jars\n\n"
                     "yarn_rm = rm:8032\nframework = yarn\nhdfs_user = stats\n");
  HadoopConfig c;
  c.jars_dir = "/from/flag";  // flags (and env) win over the file
  std::string user;
  ASSERT_TRUE(HadoopConfigFromFile(dir / "ok.conf", &c, &user).ok());
  EXPECT_EQ(c.conf_dir, "/etc/hadoop/conf");
  EXPECT_EQ(c.jars_dir, "/from/flag");
  EXPECT_EQ(c.resource_manager, "rm:8032");
  EXPECT_EQ(c.framework, "yarn");
  EXPECT_EQ(user, "stats");
  testing::WriteText(dir / "bad.conf", "conf = /x\nnamenode = nn:9870\n");
  Status s = HadoopConfigFromFile(dir / "bad.conf", &c, &user);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.ToString(), "bad.conf line 2")) << s.ToString();
  EXPECT_TRUE(Contains(s.ToString(), "namenode")) << s.ToString();
}

TEST(HdfsErrors, UnreachableNameNodeFailsFast) {
  // Port 9 (discard) is closed on loopback: a refused connection, reported at once.
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = Cli("query --data hdfs://127.0.0.1:9/nowhere --sql " +
                        ShellQuote("SELECT COUNT(*) FROM t") + " --out /dev/null");
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "cannot reach WebHDFS at 127.0.0.1:9")) << r.output;
  EXPECT_TRUE(Contains(r.output, "NameNode")) << r.output;
  EXPECT_LT(seconds, 10) << "an unreachable NameNode must fail within seconds";
}

// --- Against the cluster ----------------------------------------------------------------------

std::string WebHdfsAddress() {
  const char* v = std::getenv("CIPHERSTAT_TEST_WEBHDFS");
  return v == nullptr ? "" : v;
}

class HadoopCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (WebHdfsAddress().empty()) return;
    ASSERT_TRUE(crypto::Init().ok());
    dir_ = new ScratchDir();
    const ScratchDir& d = *dir_;
    unsigned char r[4];
    randombytes_buf(r, sizeof r);
    root_ = "hdfs://" + WebHdfsAddress() + "/cipherstat-test/run-" + std::to_string(::getpid()) +
            "-" + std::to_string(r[0] * 256 + r[1]);
    auto step = [&](const std::string& args) {
      CommandResult c = Cli(args, Env());
      if (c.exit_code != 0) setup_error_ += args + ":\n" + c.output + "\n";
    };
    step("keygen --fast-kdf --bits 2048 --out " + ShellQuote(d / "keys"));
    step("generate --records 300 --seed 11 --out " + ShellQuote(d / "cohort.csv"));
    step("schema --in " + ShellQuote(d / "cohort.csv") + " --out " + ShellQuote(d / "schema.json") +
         " --max-records 100000");
    // Make `sex` public, so a WHERE on it can run on the compute side.
    auto schema = nlohmann::json::parse(testing::ReadText(d / "schema.json"), nullptr, false);
    if (!schema.is_discarded()) {
      for (auto& c : schema["columns"]) {
        if (c.value("name", "") == "sex") c["public"] = true;
      }
      auto& crosses = schema["crosses"];
      if (crosses.is_array()) {
        nlohmann::json kept = nlohmann::json::array();
        for (auto& x : crosses) {
          if (x.value("by", "") != "sex") kept.push_back(x);
        }
        crosses = kept;
      }
      testing::WriteText(d / "schema.json", schema.dump(2));
    }
    step("clean --schema " + ShellQuote(d / "schema.json") + " --in " +
         ShellQuote(d / "cohort.csv") + " --out " + ShellQuote(d / "clean.csv"));
    const std::string encrypt = "encrypt --segment-records 100 --schema " +
                                ShellQuote(d / "schema.json") + " --key " + ShellQuote(d / "keys") +
                                " --in " + ShellQuote(d / "clean.csv") + " --out ";
    step(encrypt + ShellQuote(d / "dataset"));
    step(encrypt + ShellQuote(root_ + "/dataset"));
  }
  static void TearDownTestSuite() {
    if (!root_.empty()) {
      auto uri = ParseHdfsUri(root_);
      if (uri.ok()) (void)HdfsStorage({}).Client(*uri).Delete(uri->path, true);
    }
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (WebHdfsAddress().empty()) {
      GTEST_SKIP() << "no cluster: run hadoop/test (it starts one and sets "
                      "CIPHERSTAT_TEST_WEBHDFS, CIPHERSTAT_HADOOP_CONF, CIPHERSTAT_HADOOP_JARS)";
    }
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  static std::string Env() { return "CIPHERSTAT_PASSPHRASE=" + ShellQuote(kPassphrase); }
  static std::string P(const std::string& name) { return *dir_ / name; }

  // Decrypts `result` (local or hdfs://) to CSV.
  static CommandResult Decrypt(const std::string& result) {
    return Cli(
        "decrypt --format csv --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(result),
        Env());
  }

  // The same SQL on the local engine (local dataset) and on Hadoop (HDFS dataset): the
  // decrypted tables must be byte-identical.
  // Returns the Hadoop run's output.
  static std::string ExpectSameAsLocal(const std::string& sql, const std::string& framework,
                                       const std::string& name, const std::string& flags = "") {
    CommandResult local = Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
                              ShellQuote(sql) + " --out " + ShellQuote(P(name + ".local.json")));
    EXPECT_EQ(local.exit_code, 0) << local.output;
    if (local.exit_code != 0) return "";
    const std::string remote = root_ + "/results/" + name + ".json";
    CommandResult hadoop = Cli("query --engine hadoop --hadoop-framework " + framework + " " +
                               flags + " --data " + ShellQuote(root_ + "/dataset") + " --sql " +
                               ShellQuote(sql) + " --out " + ShellQuote(remote));
    EXPECT_EQ(hadoop.exit_code, 0) << hadoop.output;
    if (hadoop.exit_code != 0) return hadoop.output;
    EXPECT_TRUE(Contains(hadoop.output, "records_read=300")) << hadoop.output;
    CommandResult a = Decrypt(P(name + ".local.json"));
    CommandResult b = Decrypt(remote);
    EXPECT_EQ(a.exit_code, 0) << a.output;
    EXPECT_EQ(b.exit_code, 0) << b.output;
    EXPECT_GT(testing::Lines(a.output).size(), 1u) << a.output;
    EXPECT_EQ(a.output, b.output) << sql;
    return hadoop.output;
  }

  static ScratchDir* dir_;
  static std::string root_;
  static std::string setup_error_;
};
ScratchDir* HadoopCluster::dir_ = nullptr;
std::string HadoopCluster::root_;
std::string HadoopCluster::setup_error_;

// Hadoop's local runner: real HDFS input, splits, combiner, sort and reduce in one JVM.
TEST_F(HadoopCluster, QueriesMatchTheLocalEngine) {
  ExpectSameAsLocal("SELECT COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort", "local", "plain");
  ExpectSameAsLocal("SELECT arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY arm", "local", "by_arm");
  ExpectSameAsLocal("SELECT COUNT(*), AVG(cd4) FROM cohort WHERE sex = 'F'", "local", "where");
  ExpectSameAsLocal("SELECT sex, COUNT(*), AVG(cd4) FROM cohort GROUP BY sex", "local", "by_sex");
}

// On YARN, with the first attempt of the first mapper failing: Hadoop's retry gives the
// same result.
TEST_F(HadoopCluster, YarnJobSurvivesAFailedMapAttempt) {
  const std::string output = ExpectSameAsLocal(
      "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm", "yarn", "yarn_retry",
      // Streaming hands every job setting to its tasks as an environment
      // variable: the test's switch travels like any -D.
      "--hadoop-define CIPHERSTAT_TEST_FAIL_FIRST_MAP_ATTEMPT=1");
  // The retry really happened: attempt _0 of map 0 failed.
  EXPECT_TRUE(Contains(output, "_m_000000_0, Status : FAILED")) << output;
  EXPECT_TRUE(Contains(output, "records_matched=300")) << output;
}

TEST_F(HadoopCluster, CorruptedSegmentIsNamed) {
  // A second copy of the dataset, then one byte changed in a ciphertext the query sums, in
  // place: still a valid ciphertext, only the chunk's digest can tell.
  const std::string bad = root_ + "/tampered";
  CommandResult up = Cli("encrypt --segment-records 100 --schema " + ShellQuote(P("schema.json")) +
                             " --key " + ShellQuote(P("keys")) + " --in " +
                             ShellQuote(P("clean.csv")) + " --out " + ShellQuote(bad),
                         Env());
  ASSERT_EQ(up.exit_code, 0) << up.output;
  auto uri = ParseHdfsUri(bad);
  ASSERT_TRUE(uri.ok());
  WebHdfs hdfs = HdfsStorage({}).Client(*uri);
  auto opened = OpenDataset(bad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto plan =
      MakePlan("SELECT COUNT(*), AVG(cd4) FROM cohort", opened->manifest.catalog, opened->layout);
  ASSERT_TRUE(plan.ok());
  const std::string column = "part-00001.c" + std::to_string(plan->ciphertexts.at(0));
  auto text = hdfs.Open(uri->path + "/segments/" + column);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  std::string altered = *text;
  altered.at(altered.size() / 2) ^= 1;
  ASSERT_TRUE(hdfs.Create(uri->path + "/segments/" + column, altered, true, kSharedFile).ok());

  const std::string sql = "SELECT COUNT(*), AVG(cd4) FROM cohort";
  CommandResult h = Cli("query --engine hadoop --hadoop-framework local --data " + ShellQuote(bad) +
                        " --sql " + ShellQuote(sql) + " --out " + ShellQuote(P("tampered.json")));
  EXPECT_NE(h.exit_code, 0) << h.output;
  EXPECT_TRUE(Contains(h.output, column + ": chunk 0")) << h.output;
  EXPECT_TRUE(Contains(h.output, "digest")) << h.output;
  EXPECT_FALSE(testing::ReadText(P("tampered.json")).size() > 0);
  // The local engine reading the same HDFS dataset says the same.
  CommandResult l = Cli("query --data " + ShellQuote(bad) + " --sql " + ShellQuote(sql) +
                        " --out " + ShellQuote(P("tampered-local.json")));
  EXPECT_NE(l.exit_code, 0) << l.output;
  EXPECT_TRUE(Contains(l.output, column + ": chunk 0")) << l.output;
}

// Issue 17 on the Hadoop engine: an honest Hadoop result decrypts (above); the same result
// edited with the public key — a sum shifted, or two groups' sums swapped with their counts —
// is refused by decrypt as having failed verification.
TEST_F(HadoopCluster, ForgedHadoopResultsAreRefused) {
  const std::string sql = "SELECT sex, COUNT(*), AVG(cd4) FROM cohort GROUP BY sex";
  CommandResult q = Cli("query --engine hadoop --hadoop-framework local --data " +
                        ShellQuote(root_ + "/dataset") + " --sql " + ShellQuote(sql) + " --out " +
                        ShellQuote(P("forge.json")));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  ASSERT_EQ(Decrypt(P("forge.json")).exit_code, 0);
  auto pk = crypto::ReadPublicKey(P("keys"));
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  auto honest = EncryptedResultFromJson(testing::ReadText(P("forge.json")), &*pk);
  ASSERT_TRUE(honest.ok()) << honest.status().ToString();
  ASSERT_EQ(honest->groups.size(), 2u);
  auto refused = [&](const EncryptedResult& forged, const std::string& name) {
    testing::WriteText(P(name), EncryptedResultToJson(*pk, forged));
    CommandResult d = Decrypt(P(name));
    EXPECT_NE(d.exit_code, 0) << d.output;
    EXPECT_TRUE(Contains(d.output, "result failed verification")) << d.output;
  };
  EncryptedResult shifted = *honest;
  shifted.groups[0].sums[0] = crypto::AddPlain(*pk, shifted.groups[0].sums[0], crypto::BigInt(1));
  refused(shifted, "forge-shifted.json");
  EncryptedResult swapped = *honest;
  std::swap(swapped.groups[0].sums, swapped.groups[1].sums);
  refused(swapped, "forge-swapped.json");
}

TEST_F(HadoopCluster, LocalEngineReadsHdfsAndWritesHdfs) {
  const std::string sql = "SELECT arm, COUNT(*) FROM cohort GROUP BY arm";
  CommandResult a = Cli("query --data " + ShellQuote(P("dataset")) + " --sql " + ShellQuote(sql) +
                        " --out " + ShellQuote(P("l1.json")));
  CommandResult b = Cli("query --data " + ShellQuote(root_ + "/dataset") + " --sql " +
                        ShellQuote(sql) + " --out " + ShellQuote(root_ + "/results/l2.json"));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(Decrypt(P("l1.json")).output, Decrypt(root_ + "/results/l2.json").output);
  // A released table written to HDFS is the writer's alone, like a local one; the dataset is
  // meant to be read.
  CommandResult released = Cli("decrypt --format csv --key " + ShellQuote(P("keys")) + " --in " +
                                   ShellQuote(root_ + "/results/l2.json") + " --out " +
                                   ShellQuote(root_ + "/released/l2.csv"),
                               Env());
  ASSERT_EQ(released.exit_code, 0) << released.output;
  auto permission = [](const std::string& uri) -> std::string {
    auto u = ParseHdfsUri(uri);
    if (!u.ok()) return u.status().ToString();
    auto status = HdfsStorage({}).Client(*u).GetFileStatus(u->path);
    return status.ok() ? status->permission : status.status().ToString();
  };
  EXPECT_EQ(permission(root_ + "/released/l2.csv"), "600");
  EXPECT_EQ(permission(root_ + "/results/l2.json"), "600");
  EXPECT_EQ(permission(root_ + "/dataset/manifest.json"), "644");
  // An existing dataset is never overwritten.
  CommandResult again =
      Cli("encrypt --schema " + ShellQuote(P("schema.json")) + " --key " + ShellQuote(P("keys")) +
              " --in " + ShellQuote(P("clean.csv")) + " --out " + ShellQuote(root_ + "/dataset"),
          Env());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(Contains(again.output, "exists")) << again.output;
}

TEST_F(HadoopCluster, WrongPortIsAClearError) {
  // The NameNode's RPC port is not its HTTP port: a clear error, not a hang.
  const std::string address = WebHdfsAddress();
  const std::string rpc = address.substr(0, address.rfind(':')) + ":" +
                          std::string(std::getenv("CIPHERSTAT_TEST_NN_RPC_PORT") != nullptr
                                          ? std::getenv("CIPHERSTAT_TEST_NN_RPC_PORT")
                                          : "9000");
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = Cli("decrypt --key " + ShellQuote(P("keys")) + " --in " +
                            ShellQuote("hdfs://" + rpc + "/cipherstat-test/x.json"),
                        Env());
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, rpc)) << r.output;
  EXPECT_LT(seconds, 40) << r.output;
}

// Outputs never clobber on HDFS either (issue 15): an existing result is refused without
// --force, unchanged and unaudited, replaced with it; a dataset folder is never written into.
TEST_F(HadoopCluster, QueryOutputsOnHdfsNeverClobber) {
  const std::string sql = "SELECT COUNT(*) FROM cohort";
  const std::string out = root_ + "/results/noclobber.json";
  const std::string env = "CIPHERSTAT_AUDIT_LOG=" + ShellQuote(P("noclobber-audit.jsonl"));
  const std::string query =
      "query --data " + ShellQuote(P("dataset")) + " --sql " + ShellQuote(sql);
  ASSERT_EQ(Cli(query + " --out " + ShellQuote(out), env).exit_code, 0);
  auto read = [&](const std::string& uri) -> std::string {
    auto u = ParseHdfsUri(uri);
    if (!u.ok()) return u.status().ToString();
    auto text = HdfsStorage({}).Client(*u).Open(u->path);
    return text.ok() ? *text : text.status().ToString();
  };
  const std::string first = read(out);
  const std::string log = testing::ReadText(P("noclobber-audit.jsonl"));
  CommandResult again = Cli(query + " --out " + ShellQuote(out), env);
  EXPECT_NE(again.exit_code, 0) << again.output;
  EXPECT_TRUE(Contains(again.output, out + " exists; pass --force to replace it")) << again.output;
  EXPECT_EQ(read(out), first);
  EXPECT_EQ(testing::ReadText(P("noclobber-audit.jsonl")), log);
  CommandResult forced = Cli(query + " --out " + ShellQuote(out) + " --force", env);
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(testing::ReadText(P("noclobber-audit.jsonl")), log);
  for (const char* inside : {"/dataset/manifest.json", "/dataset/r.json"}) {
    CommandResult r = Cli(query + " --out " + ShellQuote(root_ + inside) + " --force", env);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, "dataset folder")) << r.output;
  }
  auto written = HdfsStorage({}).Exists(root_ + "/dataset/r.json");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_FALSE(*written);
}

}  // namespace
}  // namespace cipherstat
