// CsvReader regressions found by the hardening tests: reading from a pipe (no seeking), and a
// bound on one record's total size.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "data/csv.h"
#include "test_util.h"

namespace cipherstat {
namespace {

// Reads every record of `text` served through a pipe (as `--in /dev/stdin` is).
std::vector<std::vector<std::string>> ReadThroughPipe(const std::string& text, Status* status) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  EXPECT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  CsvReader reader;
  std::vector<std::vector<std::string>> records;
  *status = reader.Open("/dev/fd/" + std::to_string(fds[0]));
  for (bool eof = false; status->ok();) {
    std::vector<std::string> fields;
    *status = reader.Next(&fields, &eof);
    if (eof || !status->ok()) break;
    records.push_back(fields);
  }
  ::close(fds[0]);
  return records;
}

TEST(CsvLimitsTest, ReadsFromAPipeWithAndWithoutAByteOrderMark) {
  using Records = std::vector<std::vector<std::string>>;
  const Records expected = {{"a", "b"}, {"1", "2"}};
  for (const std::string& prefix : {std::string(), std::string("\xEF\xBB\xBF")}) {
    Status s;
    EXPECT_EQ(ReadThroughPipe(prefix + "a,b\n1,2\n", &s), expected);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  // Bytes that start like a byte order mark but are not one stay data.
  Status s;
  EXPECT_EQ(ReadThroughPipe("\xEF\xBBx,y\n", &s), (Records{{"\xEF\xBBx", "y"}}));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadThroughPipe("\xEF", &s), (Records{{"\xEF"}}));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(ReadThroughPipe("", &s).empty());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(CsvLimitsTest, ARecordLongerThanTheRecordLimitIsRefused) {
  testing::ScratchDir dir;
  testing::WriteText(dir / "wide.csv", "a,b,c\nabcde,fghij,klmno,pqrst,uvwxy\n1,2,3\n");
  CsvReader::Limits limits;
  limits.max_field_bytes = 8;  // every field is under it
  limits.max_fields = 100;
  limits.max_record_bytes = 20;
  CsvReader reader;
  ASSERT_TRUE(reader.Open(dir / "wide.csv", limits).ok());
  std::vector<std::string> fields;
  bool eof = false;
  ASSERT_TRUE(reader.Next(&fields, &eof).ok());
  Status s = reader.Next(&fields, &eof);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("line 2: the record is longer than 20 bytes"), std::string::npos)
      << s.ToString();
}

}  // namespace
}  // namespace cipherstat
