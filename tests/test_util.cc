#include "test_util.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

namespace cipherstat::testing {

ScratchDir::ScratchDir() {
  std::string templ = std::filesystem::temp_directory_path().string() + "/cipherstat-test-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = name.data();
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CommandResult RunCommand(const std::string& command_line) {
  CommandResult result;
  std::FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

size_t LongestHexRun(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = std::isxdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

bool SharedDataAvailable() { return std::filesystem::exists(SharedDir() + "/data/actg175.csv"); }

CommandResult RunCipherstat(const std::string& args) {
  return RunCommand("CIPHERSTAT_PASSPHRASE=x " + ShellQuote(Binary()) + " " + args);
}

std::string MakeCohortDataset(const ScratchDir& dir, int records, int seed, int segment_records,
                              const std::string& dataset) {
  for (const std::string& step :
       {"keygen --fast-kdf --out " + dir / "keys",
        "generate --records " + std::to_string(records) + " --seed " + std::to_string(seed) +
            " --out " + dir / "cohort.csv",
        "schema --in " + dir / "cohort.csv" + " --out " + dir / "schema.json",
        "clean --schema " + dir / "schema.json" + " --in " + dir / "cohort.csv" + " --out " +
            dir / "clean.csv",
        "encrypt --segment-records " + std::to_string(segment_records) + " --schema " +
            dir / "schema.json" + " --key " + dir / "keys" + " --in " + dir / "clean.csv" +
            " --out " + dataset}) {
    CommandResult r = RunCipherstat(step);
    if (r.exit_code != 0) return step + ": " + r.output;
  }
  return "";
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

void AlterFirstRecordCiphertexts(const std::string& dataset, const std::string& segment) {
  for (int column = 0;; ++column) {
    const std::string path = dataset + "/segments/" + segment + ".c" + std::to_string(column);
    if (!std::filesystem::exists(path)) break;
    std::string bytes = ReadText(path);
    bytes.at(200) ^= 0x10;
    WriteText(path, bytes);
  }
}

std::string HtmlText(const std::string& html) {
  std::string out;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      out += c;
    }
  }
  for (auto [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"},
                          {"&gt;", ">"},
                          {"&quot;", "\""},
                          {"&#39;", "'"},
                          {"&nbsp;", "\u00a0"},
                          {"&amp;", "&"}}) {
    for (size_t p = 0; (p = out.find(from, p)) != std::string::npos; p += to.size())
      out.replace(p, from.size(), to);
  }
  return out;
}

}  // namespace cipherstat::testing
