// The HTML report as people get it: written by the real `cipherstat` binary (demo, report,
// decrypt --format html) and, for the demo's report, opened in headless Chromium.
//
// The browser test needs the Debian package `chromium` (scripts/test installs it). Without
// it the test skips, unless CIPHERSTAT_REQUIRE_CHROMIUM=1 (set by scripts/test) makes it fail.
// CIPHERSTAT_CHROMIUM names another browser binary. The screenshot is kept under the build
// folder: test-artifacts/demo-report.png (the test prints the path).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ReadText;
using testing::ScratchDir;

CommandResult Cli(const std::string& args) {
  const std::string line = "CIPHERSTAT_PASSPHRASE='report test' " + ShellQuote(testing::Binary()) +
                           " " + args + " </dev/null";
  CommandResult r = testing::RunCommand(line);
  r.output = "$ " + line + "\n" + r.output;
  return r;
}

struct HtmlCell {
  std::string text;
  std::string open_tag;  // "<td class=\"suppressed\" ...>"
};

// The body rows of the table with id `id`, each cell's text and opening tag.
std::vector<std::vector<HtmlCell>> TableRows(const std::string& html, const std::string& id) {
  std::vector<std::vector<HtmlCell>> rows;
  const size_t table = html.find("id=\"" + id + "\"");
  if (table == std::string::npos) return rows;
  const size_t body = html.find("<tbody>", table);
  const size_t end = html.find("</tbody>", body);
  if (body == std::string::npos || end == std::string::npos) return rows;
  const std::string tbody = html.substr(body, end - body);
  static const std::regex kRow("<tr>([\\s\\S]*?)</tr>");
  static const std::regex kCell("(<t[dh][^>]*>)([\\s\\S]*?)</t[dh]>");
  for (std::sregex_iterator r(tbody.begin(), tbody.end(), kRow), e; r != e; ++r) {
    const std::string tr = (*r)[1];
    std::vector<HtmlCell> cells;
    for (std::sregex_iterator c(tr.begin(), tr.end(), kCell); c != e; ++c)
      cells.push_back({testing::HtmlText((*c)[2]), (*c)[1]});
    rows.push_back(std::move(cells));
  }
  return rows;
}

// Every cell of a released JSON table appears in the page's table `id` exactly as the JSON
// writes it; suppressed cells read "suppressed" (and why, when complementary) and are marked so.
void ExpectTableMatchesJson(const std::string& html, const std::string& id,
                            const std::string& json_text) {
  SCOPED_TRACE(id);
  const nlohmann::json j = nlohmann::json::parse(json_text);
  const auto rows = TableRows(html, id);
  ASSERT_EQ(rows.size(), j["rows"].size());
  std::map<std::pair<size_t, size_t>, std::string> suppressed;  // cell → why
  for (size_t i = 0; i < j["suppressed"].size(); ++i) {
    const auto& rc = j["suppressed"][i];
    suppressed[{rc[0].get<size_t>(), rc[1].get<size_t>()}] =
        j["suppressed_why"][i].get<std::string>();
  }
  const std::string page_text = testing::HtmlText(html);
  int numbers = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    ASSERT_EQ(rows[r].size(), j["rows"][r].size()) << "row " << r;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const nlohmann::json& v = j["rows"][r][c];
      const HtmlCell& cell = rows[r][c];
      if (auto why = suppressed.find({r, c}); why != suppressed.end()) {
        EXPECT_EQ(cell.text,
                  why->second == "primary" ? "suppressed" : "suppressed (" + why->second + ")")
            << r << "," << c;
        EXPECT_NE(cell.open_tag.find("class=\"suppressed\""), std::string::npos) << cell.open_tag;
      } else if (v.is_number()) {
        const std::string n = v.dump();
        EXPECT_EQ(cell.text, n) << r << "," << c;
        EXPECT_NE(page_text.find(n), std::string::npos) << n;
        ++numbers;
      } else if (v.is_string()) {
        EXPECT_EQ(cell.text, v.get<std::string>());
      } else {
        EXPECT_EQ(cell.text, "NULL") << r << "," << c;
      }
    }
  }
  EXPECT_GT(numbers, 0);
}

// `cipherstat report` and `decrypt --format html` on a small cohort, checked against
// `decrypt --format json` of the same encrypted results.
TEST(HtmlCli, ReportAndDecryptPagesCarryTheJsonNumbers) {
  ScratchDir dir;
  for (const std::string& args :
       {"generate --records 300 --seed 8 --out " + dir / "cohort.csv",
        "keygen --fast-kdf --out " + dir / "keys",
        "schema --in " + dir / "cohort.csv" + " --out " + dir / "schema.json",
        "clean --schema " + dir / "schema.json" + " --in " + dir / "cohort.csv" + " --out " +
            dir / "clean.csv",
        "encrypt --schema " + dir / "schema.json" + " --key " + dir / "keys" + " --in " +
            dir / "clean.csv" + " --out " + dir / "data"}) {
    CommandResult r = Cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"CD4 by arm",
       "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4), AVG(viral_suppressed) FROM cohort GROUP BY "
       "arm"},
      {"Sites", "SELECT site, COUNT(*), AVG(age) FROM cohort GROUP BY site"},
      {"", "SELECT HISTOGRAM(cd4) FROM cohort"}};
  std::string file = "# test report\n\n";
  for (const auto& [title, sql] : queries) file += (title.empty() ? "" : title + ": ") + sql + "\n";
  testing::WriteText(dir / "queries.txt", file);
  CommandResult r = Cli("report --data " + dir / "data" + " --key " + dir / "keys" + " --queries " +
                        dir / "queries.txt" + " --out " + dir / "report.html");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 queries over 300 records; report written to"), std::string::npos)
      << r.output;
  const std::string report = ReadText(dir / "report.html");
  EXPECT_NE(report.find("<a href=\"#q1\">CD4 by arm</a>"), std::string::npos);
  EXPECT_NE(report.find("<a href=\"#q3\">histogram(cd4)</a>"), std::string::npos);

  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    r = Cli("query --data " + dir / "data" + " --sql " + ShellQuote(queries[i].second) + " --out " +
            dir / ("result-" + n + ".json"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string decrypt =
        "decrypt --key " + dir / "keys" + " --in " + dir / ("result-" + n + ".json");
    r = Cli(decrypt + " --format json --out " + dir / ("released-" + n + ".json"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = Cli(decrypt + " --format html --out " + dir / ("released-" + n + ".html"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string json = ReadText(dir / ("released-" + n + ".json"));
    ExpectTableMatchesJson(report, "q" + n + "-table", json);
    ExpectTableMatchesJson(ReadText(dir / ("released-" + n + ".html")), "q1-table", json);
  }
  // Both pages know the schema: viral_suppressed is a 0/1 column, charted as proportions.
  for (const std::string& page : {report, ReadText(dir / "released-1.html")}) {
    EXPECT_NE(page.find("aria-label=\"Proportion with viral_suppressed by arm\""),
              std::string::npos);
    EXPECT_NE(page.find("aria-label=\"Mean of cd4 by arm (± 1 SD)\""), std::string::npos);
  }
  EXPECT_NE(report.find("aria-label=\"Histogram of cd4\""), std::string::npos);
  // A bad line fails before any work, naming the file and line; no report is written.
  testing::WriteText(dir / "bad.txt", "SELECT COUNT(*) FROM cohort\nAVG(cd4)\n");
  r = Cli("report --data " + dir / "data" + " --key " + dir / "keys" + " --queries " +
          dir / "bad.txt" + " --out " + dir / "bad.html");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad.txt:2:"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "bad.html"));
  testing::WriteText(dir / "bad.txt",
                     "SELECT COUNT(*) FROM cohort\nx: SELECT AVG(nope) FROM cohort\n");
  r = Cli("report --data " + dir / "data" + " --key " + dir / "keys" + " --queries " +
          dir / "bad.txt" + " --out " + dir / "bad.html");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad.txt:2:"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "bad.html"));
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium

std::string FindChromium() {
  if (const char* env = std::getenv("CIPHERSTAT_CHROMIUM"); env != nullptr && *env != '\0')
    return env;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    CommandResult r = testing::RunCommand(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.output.empty()) return testing::Lines(r.output)[0];
  }
  return "";
}

// Runs the browser on `url` with a fresh profile and no network services; `mode` is e.g.
// "--dump-dom" or "--screenshot=FILE". Console messages go to stderr (captured in output).
CommandResult Chromium(const std::string& binary, const std::string& mode, const std::string& url) {
  ScratchDir profile;
  return testing::RunCommand(
      "timeout 120 " + ShellQuote(binary) +
      " --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run"
      " --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars"
      " --no-default-browser-check --enable-logging=stderr --v=0 --user-data-dir=" +
      ShellQuote(profile.path()) + " " + mode + " " + ShellQuote(url));
}

// Console messages the page produced: Chromium logs them as `... CONSOLE(line)] "text"`
// (failed loads, CSP violations, script errors). Browser-internal noise is not the page's.
std::vector<std::string> ConsoleLines(const std::string& output) {
  std::vector<std::string> lines;
  for (const std::string& line : testing::Lines(output)) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("CONSOLE(") != std::string::npos)
      lines.push_back(line);
  }
  return lines;
}

TEST(HtmlBrowser, DemoReportRendersInChromiumWithTheReleasedNumbers) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) {
    const char* require = std::getenv("CIPHERSTAT_REQUIRE_CHROMIUM");
    if (require != nullptr && std::string(require) == "1")
      FAIL() << "chromium not found (apt-get install chromium), and "
                "CIPHERSTAT_REQUIRE_CHROMIUM=1";
    GTEST_SKIP() << "chromium not installed (Debian package `chromium`); scripts/test installs it";
  }
  ScratchDir dir;
  CommandResult demo = Cli("demo --records 80 --seed 3 --workdir " + dir / "demo");
  ASSERT_EQ(demo.exit_code, 0) << demo.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(demo.output, m, std::regex("Report \\(HTML[^:]*\\): (\\S+)")))
      << demo.output;
  const std::string report = m[1];
  ASSERT_EQ(report, dir / "demo/report.html");
  const std::string url = "file://" + report;

  // The console check sees what matters: the same page with one external image added is
  // reported (the page's Content-Security-Policy blocks the fetch and says so).
  std::string fetching = ReadText(report);
  fetching.insert(fetching.find("</main>"), "<img src=\"https://example.invalid/x.png\" alt=\"\">");
  testing::WriteText(dir / "fetching.html", fetching);
  CommandResult control = Chromium(chromium, "--dump-dom", "file://" + dir / "fetching.html");
  ASSERT_EQ(control.exit_code, 0) << control.output;
  const std::vector<std::string> control_lines = ConsoleLines(control.output);
  ASSERT_EQ(control_lines.size(), 1u) << control.output;
  EXPECT_NE(control_lines[0].find("Content Security Policy"), std::string::npos)
      << control_lines[0];

  CommandResult dom = Chromium(chromium, "--dump-dom", url);
  ASSERT_EQ(dom.exit_code, 0) << dom.output;
  EXPECT_EQ(ConsoleLines(dom.output), std::vector<std::string>{}) << dom.output;
  const std::string html = dom.output;
  ASSERT_NE(html.find("</html>"), std::string::npos) << html;
  EXPECT_EQ(html.find("ERR_"), std::string::npos) << html;

  int tables = 0;
  for (int n = 1; fs::exists(dir / ("demo/released-" + std::to_string(n) + ".json")); ++n) {
    ExpectTableMatchesJson(html, "q" + std::to_string(n) + "-table",
                           ReadText(dir / ("demo/released-" + std::to_string(n) + ".json")));
    ++tables;
  }
  EXPECT_EQ(tables, 8);
  EXPECT_NE(html.find("<polyline class=\"km "), std::string::npos) << "the Kaplan–Meier plot";
  // 80 records over 5 sites: Harare's 10 are under the default threshold of 11.
  EXPECT_NE(html.find("class=\"suppressed\""), std::string::npos)
      << "the demo cohort should have at least one suppressed cell";
  EXPECT_NE(html.find("<svg"), std::string::npos);

  const fs::path artifacts = fs::path(testing::Binary()).parent_path() / "test-artifacts";
  fs::create_directories(artifacts);
  const std::string png = (artifacts / "demo-report.png").string();
  fs::remove(png);
  CommandResult shot =
      Chromium(chromium, "--window-size=1100,3600 --screenshot=" + ShellQuote(png), url);
  ASSERT_EQ(shot.exit_code, 0) << shot.output;
  EXPECT_EQ(ConsoleLines(shot.output), std::vector<std::string>{}) << shot.output;
  const std::string bytes = ReadText(png);
  ASSERT_GT(bytes.size(), 20000u) << png;
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  std::printf("screenshot of the demo report: %s\n", png.c_str());
}

}  // namespace
}  // namespace cipherstat
