#include "report/html.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>

#include "query/decode.h"
#include "report/render.h"
#include "test_util.h"

namespace cipherstat {
namespace {

// The page's text as a reader gets it (from <body> on, so the stylesheet is not text).
std::string VisibleText(const std::string& html) {
  const size_t start = html.find("<body>");
  return testing::HtmlText(start == std::string::npos ? html : html.substr(start));
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = 0; (p = haystack.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

Schema CohortSchema() {
  Schema s;
  s.name = "cohort";
  Column arm;
  arm.name = "arm";
  arm.min = 0;
  arm.max = 3;
  arm.levels = {"0", "1", "2", "3"};
  Column cd4;
  cd4.name = "cd4";
  cd4.max = 2000;
  cd4.bins = {0, 200, 350, 500, HUGE_VAL};
  Column site;
  site.name = "site";
  site.kind = ColumnKind::kCategorical;
  site.levels = {"Kampala", "Durban"};
  site.is_public = true;
  Column treated;
  treated.name = "treated";
  treated.max = 1;
  s.columns = {arm, cd4, site, treated};
  s.derived = {{"viral_suppressed", "viral_load", "<", 200}};
  return s;
}

// Gives a hand-built table the query and column metadata that DecodeSums would, checking that
// its column labels are the decoder's.
void Annotate(ResultTable* t) {
  auto query = ParseSql(t->sql);
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  const std::vector<std::string> labels = t->columns;
  SetResultColumns(*query, CohortSchema(), t);
  EXPECT_EQ(t->columns, labels);
}

ResultTable GroupedMeans() {
  ResultTable t;
  t.sql =
      "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4), AVG(viral_suppressed) FROM cohort GROUP BY "
      "arm";
  t.dataset_name = "cohort";
  t.dataset_records = 1000;
  t.key_fingerprint = "ab12cd34";
  t.min_cell = 11;
  t.columns = {"arm", "count(*)", "avg(cd4)", "stddev(cd4)", "avg(viral_suppressed)"};
  t.rows = {
      {Cell::Text("0"), Cell::Integer(496), Cell::Real(350.501168770458), Cell::Real(120.25),
       Cell::Real(0.6125)},
      {Cell::Text("1"), Cell::Integer(498), Cell::Real(412.5), Cell::Real(98.0), Cell::Real(0.75)},
      {Cell::Text("2"), Cell::Suppressed(), Cell::Suppressed(), Cell::Suppressed(),
       Cell::Suppressed()},
      {Cell::Null(), Cell::Integer(0), Cell::Null(), Cell::Null(), Cell::Null()},
  };
  Annotate(&t);
  return t;
}

ResultTable Histogram() {
  ResultTable t;
  t.sql = "SELECT site, HISTOGRAM(cd4) FROM cohort GROUP BY site";
  t.dataset_name = "cohort";
  t.dataset_records = 1000;
  t.min_cell = 11;
  t.columns = {"site", "histogram(cd4)[0,200)", "histogram(cd4)[200,350)",
               "histogram(cd4)[350,500)", "histogram(cd4)[500,inf)"};
  t.rows = {{Cell::Text("Durban"), Cell::Integer(120), Cell::Integer(7), Cell::Integer(300),
             Cell::Integer(50)},
            {Cell::Text("Kampala"), Cell::Integer(100), Cell::Integer(200), Cell::Suppressed(),
             Cell::Integer(223)}};
  Annotate(&t);
  return t;
}

TEST(HtmlEscape, ReplacesTheFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"y\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;y&quot;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain text, é"), "plain text, é");
}

TEST(HtmlRender, EscapesEveryStringFromDataSchemaAndQuery) {
  ResultTable t;
  t.sql = "SELECT name, COUNT(*) FROM \"<script>x</script>\" GROUP BY name";
  t.dataset_name = "<img src=x onerror=alert(1)>";
  t.key_fingerprint = "\"><script>";
  t.min_cell = 11;
  t.columns = {"<b>name</b>", "count(*)"};
  t.rows = {{Cell::Text("O'Brien & <i>Sons</i>"), Cell::Integer(12)}};
  Schema schema;
  Column c;
  c.name = "<svg onload=1>";
  c.is_public = true;
  c.kind = ColumnKind::kCategorical;
  c.levels = {"a"};
  schema.columns = {c};
  ReportContext context;
  context.title = "Title <script>";
  context.generated_at = "<now>";
  context.schema = &schema;
  const std::string html = RenderHtml(t, context);
  EXPECT_EQ(Count(html, "<script"), 0u);
  EXPECT_EQ(Count(html, "<img"), 0u);
  EXPECT_EQ(Count(html, "<b>"), 0u);
  EXPECT_EQ(Count(html, "<i>"), 0u);
  EXPECT_EQ(Count(html, "<svg onload"), 0u);
  EXPECT_NE(html.find("O&#39;Brien &amp; &lt;i&gt;Sons&lt;/i&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;svg onload=1&gt;"), std::string::npos);
  const std::string text = VisibleText(html);
  EXPECT_NE(text.find("O'Brien & <i>Sons</i>"), std::string::npos);
  EXPECT_NE(text.find("Title <script>"), std::string::npos);
}

TEST(HtmlRender, IsSelfContained) {
  const Schema schema = CohortSchema();
  ReportContext context;
  context.schema = &schema;
  const std::string html =
      RenderHtmlReport({{"means", GroupedMeans()}, {"", Histogram()}}, context);
  for (const char* outside :
       {"http:", "https:", "//", "src=", "<script", "<link", "url(", "@import", "@font-face"}) {
    EXPECT_EQ(Count(html, outside), 0u) << outside;
  }
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
}

TEST(HtmlRender, SuppressedCellsSayHowAndShowNoNumber) {
  const std::string html = RenderHtml(GroupedMeans());
  // Row 3 (arm 2): every aggregate suppressed.
  std::smatch m;
  const std::string row = "<tr><th scope=\"row\">2</th>";
  const size_t start = html.find(row);
  ASSERT_NE(start, std::string::npos);
  const std::string tr = html.substr(start, html.find("</tr>", start) - start);
  EXPECT_EQ(Count(tr, "<td class=\"suppressed\" title=\"fewer than 11 records\">suppressed</td>"),
            4u)
      << tr;
  EXPECT_FALSE(std::regex_search(VisibleText(tr).substr(1), std::regex("[0-9]"))) << tr;
  EXPECT_NE(html.find("fewer than 11 records is suppressed"), std::string::npos);
  EXPECT_NE(html.find("4 cells are suppressed"), std::string::npos);
  // The chart marks the suppressed group instead of drawing a bar for it.
  EXPECT_NE(html.find("2: suppressed (fewer than 11 records)"), std::string::npos);
}

TEST(HtmlRender, ComplementaryCellsNameTheTotalTheyProtect) {
  ResultTable t = GroupedMeans();
  for (size_t c = 1; c < t.rows[1].size(); ++c) {
    t.rows[1][c] = Cell::Complementary("the header's record count");
  }
  const std::string html = RenderHtml(t);
  const std::string why = "complementary: the header&#39;s record count";
  EXPECT_EQ(Count(html, "<td class=\"suppressed\" title=\"" + why +
                            "\">suppressed <small class=\"why\">(" + why + ")</small></td>"),
            4u);
  EXPECT_EQ(Count(html, "<td class=\"suppressed\" title=\"fewer than 11 records\">suppressed</td>"),
            4u);
  EXPECT_NE(html.find("8 cells are suppressed: 4 computed from fewer than 11 records; 4 "
                      "complementary, so that no suppressed count can be recomputed from the "
                      "total each names."),
            std::string::npos);
  EXPECT_NE(html.find("Further cells are suppressed (complementary)"), std::string::npos);
  EXPECT_NE(html.find("1: suppressed (" + why + ")"), std::string::npos);
  // A complementary bin holds min_cell or more records: it is marked hidden, not "< 11".
  ResultTable h = Histogram();
  h.rows[1][1] = Cell::Complementary("bins of cd4 = count(cd4)");
  const std::string chart = RenderHtml(h);
  EXPECT_NE(chart.find(">hidden</text>"), std::string::npos);
  EXPECT_NE(chart.find("[0, 200): suppressed (complementary: bins of cd4 = count(cd4))"),
            std::string::npos);
}

TEST(HtmlRender, NumbersReadExactlyAsTheJsonRenderersDo) {
  for (const ResultTable& t : {GroupedMeans(), Histogram()}) {
    const std::string text = VisibleText(RenderHtml(t));
    const std::string json = RenderJson(t);
    for (const auto& row : t.rows) {
      for (const Cell& cell : row) {
        if (cell.kind != Cell::Kind::kInteger && cell.kind != Cell::Kind::kReal) continue;
        const std::string n = CellText(cell);
        EXPECT_NE(json.find(n), std::string::npos) << n;
        EXPECT_NE(text.find(n), std::string::npos) << n;
      }
    }
  }
  // Digits past the sixth significant one are greyed, not dropped.
  EXPECT_NE(RenderHtml(GroupedMeans()).find("350.501<span class=\"lo\">168770458</span>"),
            std::string::npos);
}

TEST(HtmlRender, TableHasCaptionAndHeaderScopes) {
  const std::string html = RenderHtml(GroupedMeans());
  EXPECT_EQ(Count(html, "<caption>"), 1u);
  EXPECT_EQ(Count(html, "<th scope=\"col\">"), 5u);
  EXPECT_EQ(Count(html, "<th scope=\"row\""), 4u);
  EXPECT_NE(html.find("<th scope=\"row\" class=\"null\">NULL</th>"), std::string::npos);
}

TEST(HtmlRender, GroupedMeansGetBarsWithWhiskersAndProportionsGetPercentBars) {
  const Schema schema = CohortSchema();
  ReportContext context;
  context.schema = &schema;
  const std::string html = RenderHtml(GroupedMeans(), context);
  EXPECT_EQ(Count(html, "<svg "), 2u);
  EXPECT_EQ(Count(html, "role=\"img\""), 2u);
  EXPECT_NE(html.find("aria-label=\"Mean of cd4 by arm (± 1 SD)\""), std::string::npos);
  EXPECT_NE(html.find("<title id=\"q1-chart3-t\">Mean of cd4 by arm (± 1 SD)</title>"),
            std::string::npos);
  EXPECT_NE(html.find("0: 350.5 ± 120.2"), std::string::npos);  // in the <desc>
  EXPECT_EQ(Count(html, "class=\"whisker\""), 6u);              // 2 groups × (line + 2 caps)
  EXPECT_NE(html.find("aria-label=\"Proportion with viral_suppressed by arm\""), std::string::npos);
  EXPECT_NE(html.find("1: 75.0\u2009%"), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"bar prop\""), 2u);
  // Without the schema nothing says viral_suppressed is 0/1: it is charted as a mean.
  const std::string plain = RenderHtml(GroupedMeans());
  EXPECT_EQ(Count(plain, "Proportion with"), 0u);
  EXPECT_NE(plain.find("Mean of viral_suppressed by arm"), std::string::npos);
}

TEST(HtmlRender, HistogramsGetOneChartPerRowWithBinLabels) {
  const std::string html = RenderHtml(Histogram());
  EXPECT_EQ(Count(html, "<svg "), 2u);
  EXPECT_NE(html.find("Histogram of cd4, Durban"), std::string::npos);
  EXPECT_NE(html.find("Histogram of cd4, Kampala"), std::string::npos);
  EXPECT_NE(html.find(">[0, 200)</text>"), std::string::npos);
  EXPECT_NE(html.find(">[500, ∞)</text>"), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"hist\""), 7u);  // 8 bins, one suppressed
  EXPECT_EQ(Count(html, "class=\"supp\""), 1u);
  EXPECT_NE(html.find("[350, 500): suppressed (fewer than 11 records)"), std::string::npos);
}

TEST(HtmlRender, KaplanMeierIsOneStepPlotWithACurvePerRowEndingWhereHidden) {
  ResultTable t;
  t.sql = "SELECT site, KAPLAN_MEIER(cd4, treated) AS s FROM cohort GROUP BY site";
  t.dataset_name = "cohort";
  t.min_cell = 11;
  t.columns = {"site", "s[0,200)", "s[200,350)", "s[350,500)", "s[500,inf)"};
  t.rows = {
      {Cell::Text("Durban"), Cell::Real(0.9), Cell::Real(0.75), Cell::Real(0.5), Cell::Null()},
      {Cell::Text("Kampala"), Cell::Real(0.95), Cell::Suppressed(), Cell::Real(0.5),
       Cell::Real(0.25)}};
  Annotate(&t);
  const Schema schema = CohortSchema();  // the bin edges are the time axis
  ReportContext context;
  context.schema = &schema;
  const std::string html = RenderHtml(t, context);
  EXPECT_EQ(Count(html, "<svg "), 1u);
  EXPECT_EQ(Count(html, "<polyline class=\"km "), 2u);
  EXPECT_NE(html.find("Kaplan\u2013Meier estimate over cd4 by site"), std::string::npos);
  // The description reads the curve, and says where each ends.
  // (Percent writes a thin space before %.)
  for (const char* part :
       {"Durban: 200: 90.0\u2009%, 350: 75.0\u2009%, 500: 50.0\u2009%, ends at 500",
        "Kampala: 200: 95.0\u2009%, ends at 200 (hidden)</desc>"}) {
    EXPECT_NE(html.find(part), std::string::npos) << part;
  }
}

TEST(HtmlRender, NoChartForASingleMeanOrForCounts) {
  ResultTable t;
  t.sql = "SELECT COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort";
  t.min_cell = 11;
  t.columns = {"count(*)", "avg(cd4)", "stddev(cd4)"};
  t.rows = {{Cell::Integer(1000), Cell::Real(350.5), Cell::Real(100)}};
  Annotate(&t);
  EXPECT_EQ(Count(RenderHtml(t), "<svg"), 0u);
  // A table whose metadata does not match its columns still renders, without charts.
  t.columns.push_back("d");
  for (auto& row : t.rows) row.push_back(Cell::Integer(1));
  const std::string html = RenderHtml(t);
  EXPECT_EQ(Count(html, "<svg"), 0u);
  EXPECT_NE(html.find("<td>350.5</td>"), std::string::npos);
}

TEST(HtmlRender, ReportHasContentsAndTheFooterSaysWhatTheComputeSideSaw) {
  const Schema schema = CohortSchema();
  ReportContext context;
  context.title = "Quarterly";
  context.generated_at = "2026-11-29 07:00 UTC";
  context.schema = &schema;
  const std::string html =
      RenderHtmlReport({{"CD4 by arm", GroupedMeans()}, {"", Histogram()}}, context);
  EXPECT_NE(html.find("<nav class=\"toc\""), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#q1\">CD4 by arm</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#q2\">histogram(cd4) by site</a>"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"q2\""), std::string::npos);
  EXPECT_NE(html.find("2026-11-29 07:00 UTC"), std::string::npos);
  EXPECT_NE(html.find("ab12cd34"), std::string::npos);
  const std::string footer = VisibleText(html.substr(html.find("<footer>")));
  // Every column as the catalog (what the manifest carries) describes it…
  for (const std::string& line : DescribeCatalog(CatalogOf(schema))) {
    EXPECT_NE(footer.find(line), std::string::npos) << line << "\n" << footer;
  }
  EXPECT_NE(footer.find("site: public categorical"), std::string::npos) << footer;
  EXPECT_NE(footer.find("arm: private numeric, encrypted; 4 levels, by number only"),
            std::string::npos)
      << footer;
  // …and what it keeps sealed is named as unseen, not listed as seen.
  const std::string seen = footer.substr(0, footer.find("Could not see"));
  EXPECT_EQ(seen.find("value ranges"), std::string::npos) << footer;
  EXPECT_NE(footer.find("value ranges, decimals, the names of private columns' levels"),
            std::string::npos)
      << footer;
  EXPECT_NE(footer.find("the secret key"), std::string::npos);
  // One result: no contents.
  EXPECT_EQ(Count(RenderHtml(GroupedMeans(), context), "<nav"), 0u);
}

TEST(DescribeQuery, NamesAggregatesGroupsAndFilters) {
  auto describe = [](const std::string& sql) {
    ResultTable t;
    t.sql = sql;
    if (auto query = ParseSql(sql); query.ok()) t.query = *query;
    return DescribeQuery(t);
  };
  EXPECT_EQ(describe("SELECT arm, COUNT(*), AVG(cd4) FROM c GROUP BY arm"),
            "count(*), avg(cd4) by arm");
  EXPECT_EQ(describe("SELECT COUNT(*) AS n FROM c WHERE site = 'Kampala'"),
            "n where site = Kampala");
  EXPECT_EQ(describe("not sql"), "not sql");
}

TEST(Html, NoisyCellsShowTheirNoiseAndTheRecordCountIsWithheld) {
  ResultTable t = GroupedMeans();
  t.epsilon = ParseEpsilon("1").value();
  t.dataset_records = 0;
  t.rows[0][1].noise = CellNoise{8, 24, false};
  t.rows[0][2].noise = CellNoise{1.5, 2.94, true};
  const std::string html = RenderHtml(t);
  EXPECT_NE(html.find("<dt>Records</dt><dd>withheld (differential privacy)</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt>Differential privacy</dt><dd>\u03b5 = 1</dd>"), std::string::npos);
  EXPECT_NE(html.find("496 <small class=\"noise\">\u00b124 (scale 8)</small>"), std::string::npos);
  EXPECT_NE(html.find("<small class=\"noise\">\u00b12.94 (sd\u22481.5)</small>"),
            std::string::npos);
  EXPECT_NE(html.find("the number of records (withheld from this page)"), std::string::npos);
  EXPECT_EQ(RenderHtml(GroupedMeans()).find("noise"), std::string::npos);
}

}  // namespace
}  // namespace cipherstat
