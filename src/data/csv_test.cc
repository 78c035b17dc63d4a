#include "data/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using Records = std::vector<std::vector<std::string>>;

class CsvTest : public ::testing::Test {
 protected:
  // Writes `text` to a file and reads every record back, with the line each started on.
  Status ReadAll(const std::string& text, Records* records, std::vector<size_t>* lines = nullptr,
                 CsvReader::Limits limits = CsvReader::Limits()) {
    const std::string path = dir_ / "in.csv";
    CS_RETURN_IF_ERROR(WriteFileAtomic(path, text));
    CsvReader reader;
    CS_RETURN_IF_ERROR(reader.Open(path, limits));
    records->clear();
    std::vector<std::string> fields;
    while (true) {
      bool eof = false;
      CS_RETURN_IF_ERROR(reader.Next(&fields, &eof));
      if (eof) return Status::OK();
      records->push_back(fields);
      if (lines != nullptr) lines->push_back(reader.line());
    }
  }
  cipherstat::testing::ScratchDir dir_;
};

TEST_F(CsvTest, PlainAndQuotedFields) {
  Records r;
  ASSERT_TRUE(ReadAll("a,b,c\n1,\"x,y\",\"say \"\"hi\"\"\"\n,,\n", &r).ok());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r[1], (std::vector<std::string>{"1", "x,y", "say \"hi\""}));
  EXPECT_EQ(r[2], (std::vector<std::string>{"", "", ""}));
}

TEST_F(CsvTest, CrlfLineEndsAndLineNumbers) {
  Records r;
  std::vector<size_t> lines;
  ASSERT_TRUE(ReadAll("h1,h2\r\n1,2\r\n3,4\r\n", &r, &lines).ok());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1], (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(r[2], (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(lines, (std::vector<size_t>{1, 2, 3}));
}

TEST_F(CsvTest, EmbeddedNewlinesInQuotesKeepLineNumbersPhysical) {
  Records r;
  std::vector<size_t> lines;
  ASSERT_TRUE(ReadAll("id,note\n1,\"two\nlines\"\n2,\"crlf\r\ninside\"\n3,x\n", &r, &lines).ok());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1][1], "two\nlines");
  EXPECT_EQ(r[2][1], "crlf\r\ninside");
  EXPECT_EQ(r[3], (std::vector<std::string>{"3", "x"}));
  EXPECT_EQ(lines, (std::vector<size_t>{1, 2, 4, 6}));
}

TEST_F(CsvTest, LastRecordWithoutNewline) {
  Records r;
  ASSERT_TRUE(ReadAll("a,b\n1,2", &r).ok());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1], (std::vector<std::string>{"1", "2"}));
}

TEST_F(CsvTest, EmptyFileIsEof) {
  Records r;
  ASSERT_TRUE(ReadAll("", &r).ok());
  EXPECT_TRUE(r.empty());
}

TEST_F(CsvTest, BlankLineIsOneEmptyField) {
  Records r;
  ASSERT_TRUE(ReadAll("a,b\n\n1,2\n", &r).ok());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1], (std::vector<std::string>{""}));
}

TEST_F(CsvTest, ByteOrderMarkIsNotData) {
  Records r;
  ASSERT_TRUE(ReadAll("\xEF\xBB\xBFpidnum,age\n1,2\n", &r).ok());
  EXPECT_EQ(r[0][0], "pidnum");
}

TEST_F(CsvTest, QuoteInsideUnquotedFieldIsData) {
  Records r;
  ASSERT_TRUE(ReadAll("h\n5'10\"\n", &r).ok());
  EXPECT_EQ(r[1][0], "5'10\"");
}

TEST_F(CsvTest, UnterminatedQuoteNamesTheLine) {
  Records r;
  Status s = ReadAll("a,b\n1,2\n3,\"open\nstill open\n", &r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("unterminated"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("in.csv"), std::string::npos) << s.message();
}

TEST_F(CsvTest, TextAfterClosingQuoteIsAnError) {
  Records r;
  Status s = ReadAll("a,b\n\"x\"y,2\n", &r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
}

TEST_F(CsvTest, FieldSizeLimit) {
  CsvReader::Limits limits;
  limits.max_field_bytes = 8;
  Records r;
  ASSERT_TRUE(ReadAll("a\n12345678\n", &r, nullptr, limits).ok());
  Status s = ReadAll("a\n12345678\n123456789\n", &r, nullptr, limits);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("8 bytes"), std::string::npos) << s.message();
  // Quoted fields count too.
  s = ReadAll("a\n\"123456789\"\n", &r, nullptr, limits);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
}

TEST_F(CsvTest, FieldCountLimit) {
  CsvReader::Limits limits;
  limits.max_fields = 3;
  Records r;
  ASSERT_TRUE(ReadAll("a,b,c\n", &r, nullptr, limits).ok());
  Status s = ReadAll("a,b,c\n1,2,3,4\n", &r, nullptr, limits);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
}

TEST_F(CsvTest, MissingFileIsNotFound) {
  CsvReader reader;
  Status s = reader.Open(dir_ / "absent.csv");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
}

TEST_F(CsvTest, WriterQuotesOnlyWhereNeededAndRoundTrips) {
  Records in = {{"plain", "a,b", "say \"x\"", "two\nlines", "cr\rhere", ""},
                {""},
                {"", ""},
                {"LPV/r", " spaced "}};
  std::string text;
  for (const auto& rec : in) AppendCsvRecord(rec, &text);
  EXPECT_EQ(text,
            "plain,\"a,b\",\"say \"\"x\"\"\",\"two\nlines\",\"cr\rhere\",\n"
            "\"\"\n"
            ",\n"
            "LPV/r, spaced \n");
  Records out;
  ASSERT_TRUE(ReadAll(text, &out).ok());
  EXPECT_EQ(out, in);
}

}  // namespace
}  // namespace cipherstat
