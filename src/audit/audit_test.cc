// The audit log as an attacker sees it: every kind of tampering the issue names must be caught
// at the right line, and concurrent writers must neither lose entries nor break the chain.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "audit/identity.h"
#include "audit/log.h"
#include "test_util.h"

namespace cipherstat::audit {
namespace {

using testing::Lines;
using testing::ReadText;
using testing::ScratchDir;
using testing::WriteText;

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

std::unique_ptr<Identity> Open(const std::string& dir) {
  auto id = Identity::OpenOrCreate(dir);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? std::move(id).value() : nullptr;
}

Event MakeEvent(const std::string& action, const std::string& query) {
  Event e;
  e.action = action;
  e.query = query;
  e.key_fingerprint = "fp-" + action;
  return e;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = Open(dir_ / "alice");
    mallory_ = Open(dir_ / "mallory");
    ASSERT_TRUE(alice_ && mallory_);
  }

  // Appends entries with queries q1..qN by `who` to `log`.
  void AppendN(int n, const Identity& who, const std::string& log, int first = 1) {
    for (int i = first; i < first + n; ++i) {
      auto e = Append(log, who, MakeEvent("query", "q" + std::to_string(i)));
      ASSERT_TRUE(e.ok()) << e.status().ToString();
    }
  }

  VerifyReport Verify(std::vector<std::string> anchors = {},
                      std::vector<std::string> trusted = {}) {
    VerifyOptions options;
    options.anchor_files = std::move(anchors);
    options.trusted_keys = std::move(trusted);
    auto r = VerifyLog(log_, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }
  std::string AliceAnchor() const { return AnchorPath(alice_->dir(), log_); }

  // An entry Mallory signs that claims to be line `seq` after the log's first seq-1 lines.
  std::string ForgedLine(int seq) {
    const std::string copy = dir_ / "mallory-copy.jsonl";
    std::vector<std::string> lines = Lines(ReadText(log_));
    lines.resize(seq - 1);
    WriteText(copy, Join(lines));
    auto e = Append(copy, *mallory_, MakeEvent("decrypt", "SELECT secrets"));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return Lines(ReadText(copy)).back();
  }

  // The log cut back to its first `keep` lines and refilled with `refill` entries Mallory signs
  // (queries q<keep+1>..., as Alice's were), chained so that the log verifies on its own.
  void RewriteTail(int keep, int refill) {
    const std::string copy = dir_ / "mallory-rewrite.jsonl";
    std::vector<std::string> lines = Lines(ReadText(log_));
    lines.resize(keep);
    WriteText(copy, Join(lines));
    std::filesystem::remove(AnchorPath(mallory_->dir(), copy));
    AppendN(refill, *mallory_, copy, keep + 1);
    WriteText(log_, ReadText(copy));
  }

  // Attack 8 of issue 17: whoever can write the log cuts Alice's tail off and refills it, to
  // her anchor's length plus `extra`. Her next append must not accept the rewritten log and
  // move her anchor onto it, after which verify would pass; verify names the line she anchored.
  void ExpectARewrittenTailIsRefused(int extra) {
    AppendN(4, *alice_, log_);
    AppendN(2, *mallory_, log_, 5);  // entries by others after Alice's anchor (line 4)
    RewriteTail(2, 4 + extra);
    ASSERT_TRUE(Verify().ok()) << "the rewritten log must verify on its own for the attack";
    const std::string log_before = ReadText(log_);
    const std::string anchor_before = ReadText(AliceAnchor());

    auto refused = Append(log_, *alice_, MakeEvent("query", "q-after"));
    ASSERT_FALSE(refused.ok()) << "Alice accepted a log rewritten after her anchor";
    EXPECT_EQ(refused.status().code(), Status::Code::kCorruption);
    const std::string message = refused.status().message();
    EXPECT_NE(message.find(log_ + " line 4: "), std::string::npos) << message;
    EXPECT_NE(message.find("rewritten after the anchor"), std::string::npos) << message;
    EXPECT_NE(message.find("refusing to append"), std::string::npos) << message;
    EXPECT_EQ(ReadText(log_), log_before) << "a refused append wrote to the log";
    EXPECT_EQ(ReadText(AliceAnchor()), anchor_before) << "a refused append moved the anchor";

    VerifyReport r = Verify({AliceAnchor()});
    EXPECT_EQ(r.bad_line, 4u) << r.problem;
    EXPECT_NE(r.problem.find("rewritten after the anchor"), std::string::npos) << r.problem;
  }

  ScratchDir dir_;
  std::string log_ = dir_ / "audit.jsonl";
  std::unique_ptr<Identity> alice_;
  std::unique_ptr<Identity> mallory_;
};

TEST_F(AuditLogTest, EntriesChainRoundTripAndVerify) {
  Event e;
  e.action = "decrypt";
  e.key_fingerprint = "abc123";
  e.dataset_digest = std::string(64, 'd');
  e.result_digest = std::string(64, 'e');
  e.query = "SELECT arm, COUNT(*) FROM cohort WHERE site = 'Kampala \"A\"'\n-- é ✓";
  e.detail = "released as text";
  ASSERT_TRUE(Append(log_, *alice_, e).ok());
  AppendN(4, *alice_, log_);

  auto entries = ReadLog(log_);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ(Lines(ReadText(log_)).size(), 5u);
  const Entry& first = (*entries)[0];
  EXPECT_EQ(first.event.action, "decrypt");
  EXPECT_EQ(first.event.key_fingerprint, "abc123");
  EXPECT_EQ(first.event.dataset_digest, e.dataset_digest);
  EXPECT_EQ(first.event.result_digest, e.result_digest);
  EXPECT_EQ(first.event.query, e.query);
  EXPECT_EQ(first.event.detail, e.detail);
  EXPECT_EQ(first.audit_key, alice_->public_key_hex());
  EXPECT_EQ(first.user, CurrentUserName());
  EXPECT_EQ(first.prev, std::string(64, '0'));
  EXPECT_EQ(first.time.size(), 24u) << first.time;  // 2026-11-29T06:40:11.123Z
  for (size_t i = 0; i < entries->size(); ++i) {
    EXPECT_EQ((*entries)[i].seq, i + 1);
    if (i > 0) {
      EXPECT_EQ((*entries)[i].prev, (*entries)[i - 1].hash);
    }
  }

  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_TRUE(r.ok()) << "line " << r.bad_line << ": " << r.problem;
  EXPECT_EQ(r.entries, 5u);
  ASSERT_EQ(r.signers.size(), 1u);
  EXPECT_EQ(r.signers[0].entries, 5u);
  ASSERT_EQ(r.anchors.size(), 1u);
  EXPECT_EQ(r.anchors[0].entries, 5u);
  EXPECT_EQ(r.anchors[0].head, entries->back().hash);
}

TEST_F(AuditLogTest, ModifiedEntryIsNamed) {
  AppendN(5, *alice_, log_);
  std::string text = ReadText(log_);
  size_t at = text.find("\"q3\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "\"q9\"");
  WriteText(log_, text);
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 3u) << r.problem;
  EXPECT_NE(r.problem.find("modified"), std::string::npos) << r.problem;
  // Appending to a log whose tail is fine still works (the damage is found by verify), but a
  // damaged tail is refused.
  std::vector<std::string> lines = Lines(ReadText(log_));
  std::swap(lines[2], lines[4]);
  WriteText(log_, Join(lines));
  auto refused = Append(log_, *alice_, MakeEvent("query", "q6"));
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("refusing to append"), std::string::npos)
      << refused.status().ToString();
}

TEST_F(AuditLogTest, HandEditedWhitespaceIsNamed) {
  AppendN(3, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  lines[1].insert(1, " ");
  WriteText(log_, Join(lines));
  VerifyReport r = Verify();
  EXPECT_EQ(r.bad_line, 2u) << r.problem;
}

TEST_F(AuditLogTest, EntryReSignedByAnotherKeyIsNamed) {
  AppendN(5, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  lines[2] = ForgedLine(3);  // valid hash and signature, but by Mallory and with new content
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 3u) << r.problem;
  EXPECT_NE(r.problem.find("replaced"), std::string::npos) << r.problem;
  VerifyReport trusted = Verify({}, {alice_->public_key_hex()});
  EXPECT_EQ(trusted.bad_line, 3u) << trusted.problem;
  EXPECT_NE(trusted.problem.find("not among the trusted keys"), std::string::npos);
}

TEST_F(AuditLogTest, ForgedHashWithoutTheSignerKeyFailsItsSignature) {
  AppendN(5, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  // Mallory's entry has a correct hash over new content; give it Alice's key and signature.
  std::string forged = ForgedLine(3);
  auto field = [](const std::string& line, const std::string& name) {
    size_t at = line.find("\"" + name + "\":\"") + name.size() + 4;
    return std::make_pair(at, line.find('"', at) - at);
  };
  auto [sig_at, sig_len] = field(forged, "sig");
  auto [orig_sig_at, orig_sig_len] = field(lines[2], "sig");
  forged.replace(sig_at, sig_len, lines[2].substr(orig_sig_at, orig_sig_len));
  auto [key_at, key_len] = field(forged, "audit_key");
  forged.replace(key_at, key_len, alice_->public_key_hex());
  lines[2] = forged;
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 3u) << r.problem;
}

TEST_F(AuditLogTest, DeletedEntryIsNamed) {
  AppendN(6, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  lines.erase(lines.begin() + 2);
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 3u) << r.problem;
  EXPECT_NE(r.problem.find("deleted"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, InsertedCopyIsNamed) {
  AppendN(6, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  lines.insert(lines.begin() + 4, lines[1]);  // a replayed copy of line 2 becomes line 5
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 5u) << r.problem;
}

TEST_F(AuditLogTest, InsertedForgeryIsNamed) {
  AppendN(6, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  lines.insert(lines.begin() + 2, ForgedLine(3));  // well-formed and chained to line 2
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 3u) << r.problem;
  EXPECT_NE(r.problem.find("inserted"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, ReorderedEntriesAreNamed) {
  AppendN(6, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  std::swap(lines[3], lines[4]);
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 4u) << r.problem;
}

TEST_F(AuditLogTest, TruncatedTailIsCaughtByTheAnchor) {
  AppendN(6, *alice_, log_);
  std::vector<std::string> lines = Lines(ReadText(log_));
  lines.resize(4);
  WriteText(log_, Join(lines));
  VerifyReport r = Verify({AliceAnchor()});
  EXPECT_EQ(r.bad_line, 5u) << r.problem;  // the first missing line
  EXPECT_NE(r.problem.find("cut off"), std::string::npos) << r.problem;
  // The log alone cannot show it: without an anchor the shortened chain is consistent.
  EXPECT_TRUE(Verify().ok());
  // Alice will not extend a log that was cut short behind her back.
  auto refused = Append(log_, *alice_, MakeEvent("query", "q7"));
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("line 5: missing"), std::string::npos)
      << refused.status().ToString();
  // Someone else appending to hide the cut still leaves the log disagreeing with her anchor.
  AppendN(2, *mallory_, log_);
  VerifyReport after = Verify({AliceAnchor()});
  EXPECT_EQ(after.bad_line, 6u) << after.problem;
}

TEST_F(AuditLogTest, TailRewrittenToTheSameLengthIsRefusedByAppendAndVerify) {
  ExpectARewrittenTailIsRefused(0);
}

TEST_F(AuditLogTest, TailRewrittenLongerIsRefusedByAppendAndVerify) {
  ExpectARewrittenTailIsRefused(3);
}

TEST_F(AuditLogTest, EntriesOfOthersAfterTheAnchorDoNotStopItsOwner) {
  AppendN(2, *alice_, log_);
  AppendN(3, *mallory_, log_, 3);  // Alice's anchored entry is now 3 lines from the end
  AppendN(1, *alice_, log_, 6);
  AppendN(1, *mallory_, log_, 7);
  AppendN(1, *alice_, log_, 8);
  VerifyReport r = Verify({AliceAnchor(), AnchorPath(mallory_->dir(), log_)});
  EXPECT_TRUE(r.ok()) << "line " << r.bad_line << ": " << r.problem;
  EXPECT_EQ(r.entries, 8u);
}

TEST_F(AuditLogTest, IncompleteLastLineIsNamedAndBlocksAppends) {
  AppendN(3, *alice_, log_);
  WriteText(log_, ReadText(log_) + "{\"v\":1,\"seq\":4");
  VerifyReport r = Verify();
  EXPECT_EQ(r.bad_line, 4u) << r.problem;
  EXPECT_FALSE(Append(log_, *alice_, MakeEvent("query", "q4")).ok());
}

TEST_F(AuditLogTest, TamperedAnchorIsRefused) {
  AppendN(3, *alice_, log_);
  std::string anchor = ReadText(AliceAnchor());
  size_t at = anchor.find("\"entries\":3");
  ASSERT_NE(at, std::string::npos) << anchor;
  anchor.replace(at, 11, "\"entries\":2");
  WriteText(AliceAnchor(), anchor);
  EXPECT_FALSE(ReadAnchor(AliceAnchor()).ok());
  EXPECT_FALSE(VerifyLog(log_, {{AliceAnchor()}, {}}).ok());
  EXPECT_FALSE(Append(log_, *alice_, MakeEvent("query", "q4")).ok());
}

TEST_F(AuditLogTest, SigningKeyIsPrivateAndStable) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "alice/signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ / "alice").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto again = Open(dir_ / "alice");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key_hex(), alice_->public_key_hex());
  EXPECT_NE(mallory_->public_key_hex(), alice_->public_key_hex());
  ::chmod((dir_ / "alice/signing.key").c_str(), 0644);
  auto refused = Identity::OpenOrCreate(dir_ / "alice");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(AuditLogTest, UnwritableLogFailsClearly) {
  auto e = Append(dir_ / "no-such-folder/audit.jsonl", *alice_, MakeEvent("query", "q"));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("cannot open audit log"), std::string::npos);
}

// Four processes, two actors, 50 appends each, all at once.
TEST_F(AuditLogTest, ConcurrentAppendsFromFourProcessesLoseNothing) {
  constexpr int kProcesses = 4;
  constexpr int kEach = 50;
  const std::string dirs[2] = {dir_ / "alice", dir_ / "bob"};
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto id = Identity::OpenOrCreate(dirs[p % 2]);
      if (!id.ok()) ::_exit(3);
      for (int i = 0; i < kEach; ++i) {
        Event e;
        e.action = "query";
        e.detail = "process " + std::to_string(p) + " entry " + std::to_string(i);
        if (!Append(log_, **id, e).ok()) ::_exit(4);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto entries = ReadLog(log_);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), static_cast<size_t>(kProcesses * kEach));
  std::set<std::string> seen;
  std::vector<int> next(kProcesses, 0);
  for (const Entry& e : *entries) {
    seen.insert(e.event.detail);
    int p = e.event.detail[8] - '0';
    // Each process's own entries appear in the order it wrote them.
    EXPECT_EQ(e.event.detail, "process " + std::to_string(p) + " entry " + std::to_string(next[p]));
    ++next[p];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kProcesses * kEach));
  VerifyReport r = Verify({AnchorPath(dirs[0], log_), AnchorPath(dirs[1], log_)});
  EXPECT_TRUE(r.ok()) << "line " << r.bad_line << ": " << r.problem;
  EXPECT_EQ(r.signers.size(), 2u);
}

}  // namespace
}  // namespace cipherstat::audit
