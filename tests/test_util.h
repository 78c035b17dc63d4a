// Helpers shared by tests: where the real datasets are, scratch folders, running the CLI.
#pragma once

#include <string>
#include <vector>

namespace cipherstat::testing {

// ../shared beside the checkout; tests that need it GTEST_SKIP() when it is missing.
inline std::string SharedDir() { return CIPHERSTAT_SHARED_DIR; }
// The built `cipherstat` executable.
inline std::string Binary() { return CIPHERSTAT_BINARY; }

// A fresh empty folder under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};
// Runs a shell command line and captures its output.
CommandResult RunCommand(const std::string& command_line);
// `s` as one word of a POSIX shell command line: single-quoted, any ' written as '\''.
std::string ShellQuote(const std::string& s);
// Runs `cipherstat ARGS` (ARGS already shell words) with CIPHERSTAT_PASSPHRASE=x, the
// passphrase of the keys tests make (keygen --fast-kdf).
CommandResult RunCipherstat(const std::string& args);

bool SharedDataAvailable();

// The longest run of hex digits in `text`: how much of a key or digest it shows (a
// fingerprint is 64).
size_t LongestHexRun(const std::string& text);

// Makes an encrypted synthetic cohort with the cipherstat binary (keygen --fast-kdf, passphrase
// "x"; generate; schema; clean; encrypt): dir/keys, dir/cohort.csv, dir/schema.json,
// dir/clean.csv and the dataset at `dataset`. Returns the failed step and its output, or "".
std::string MakeCohortDataset(const ScratchDir& dir, int records, int seed, int segment_records,
                              const std::string& dataset);

// Whole-file text helpers for tests (no error handling: a missing file reads as "").
std::string ReadText(const std::string& path);
void WriteText(const std::string& path, const std::string& text);
std::vector<std::string> Lines(const std::string& text);

// Changes one byte inside the first record's ciphertext in every ciphertext column file of a
// segment (DATASET/segments/SEGMENT.cK), so a query notices whichever it reads. The value stays
// below n² (a byte far from the top).
void AlterFirstRecordCiphertexts(const std::string& dataset, const std::string& segment);

// The text of an HTML fragment as a reader gets it: tags dropped, entities the renderers write
// (&lt; &gt; &quot; &#39; &amp; &nbsp;) decoded.
std::string HtmlText(const std::string& html);

}  // namespace cipherstat::testing
