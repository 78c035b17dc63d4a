#include "pipeline/report.h"

#include <gtest/gtest.h>

#include <string>

namespace cipherstat::pipeline {
namespace {

TEST(ReportQueries, ParsesTitlesCommentsAndBareQueries) {
  auto q = ParseReportQueries(
      "# the quarterly report\n\nCD4 by arm: SELECT arm, AVG(cd4) FROM c GROUP BY arm\n"
      "  select count(*) from c  \nTime: 10:30: SELECT COUNT(*) FROM c",
      "q.txt");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].title, "CD4 by arm");
  EXPECT_EQ((*q)[0].sql, "SELECT arm, AVG(cd4) FROM c GROUP BY arm");
  EXPECT_EQ((*q)[0].line, 3);
  EXPECT_EQ((*q)[1].title, "");
  EXPECT_EQ((*q)[1].sql, "select count(*) from c");
  EXPECT_EQ((*q)[1].line, 4);
  EXPECT_EQ((*q)[2].title, "Time: 10:30");
  EXPECT_EQ((*q)[2].sql, "SELECT COUNT(*) FROM c");
}

TEST(ReportQueries, RejectsLinesThatAreNotQueriesNamingTheLine) {
  auto q = ParseReportQueries("SELECT COUNT(*) FROM c\nCD4: AVG(cd4)\n", "q.txt");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().ToString().find("q.txt:2:"), std::string::npos) << q.status().ToString();
  auto empty = ParseReportQueries("# nothing\n\n", "e.txt");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().ToString().find("e.txt: no queries"), std::string::npos);
}

}  // namespace
}  // namespace cipherstat::pipeline
