#include "util/json.h"

#include <gtest/gtest.h>

#include <string>

namespace cipherstat {
namespace {

TEST(ParseJsonObject, AnObjectParses) {
  auto j = ParseJsonObject(R"({"format":"x","n":1})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["n"], 1);
}

TEST(ParseJsonObject, WhatCipherstatWroteIsCorruptionWhatAPersonWroteIsInvalidArgument) {
  EXPECT_EQ(ParseJsonObject("{").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseJsonObject("{", JsonAuthor::kPerson).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseJsonObject("[1,2]").status().message(), "not a JSON object");
}

TEST(ParseJsonObject, ErrorsNameAnOffsetNotTheText) {
  const Status s = ParseJsonObject(R"({"sealed":"0123456789abcdef)").status();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("at byte"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("0123456789abcdef"), std::string::npos) << s.ToString();
}

// nlohmann's own texts quote the last token read: kilobytes of hex in a truncated file.
TEST(JsonErrorText, GivesAnOffsetOrTheFaultNeverTheDocument) {
  const std::string hex(2000, 'f');
  try {
    const nlohmann::json j = nlohmann::json::parse("{\"ciphertext\":\"" + hex);
    FAIL() << "parsed " << j.size();
  } catch (const nlohmann::json::exception& e) {
    EXPECT_NE(std::string(e.what()).find(hex.substr(0, 100)), std::string::npos);  // the risk
    EXPECT_EQ(JsonErrorText(e), "not valid JSON (at byte 2016)");
  }
  try {
    (void)nlohmann::json::parse(R"({"a":1})").at("custodian");
    FAIL() << "found";
  } catch (const nlohmann::json::exception& e) {
    EXPECT_EQ(JsonErrorText(e), "key 'custodian' not found");
  }
  try {
    (void)nlohmann::json::parse(R"({"a":1})").at("a").get<std::string>();
    FAIL() << "converted";
  } catch (const nlohmann::json::exception& e) {
    EXPECT_EQ(JsonErrorText(e), "type must be string, but is number");
  }
}

// nlohmann reports a number beyond a double's range as out_of_range, not parse_error; the
// fuzzer found it escaping as an exception.
TEST(ParseJsonObject, ANumberOutOfRangeIsAnErrorNotAThrow) {
  EXPECT_EQ(ParseJsonObject("444444E48888888888").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseJsonObject(R"({"v":1e999})").status().code(), Status::Code::kCorruption);
}

TEST(ParseFormat, NamesWhatTheDocumentIsNotAndWhichVersionItIs) {
  EXPECT_TRUE(
      ParseFormat(R"({"format":"cipherstat-x","version":1})", "cipherstat-x", "x file", 1).ok());
  Status s = ParseFormat(R"({"format":"other","version":1})", "cipherstat-x", "x file", 1).status();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), "not a x file");
  s = ParseFormat(R"({"format":"cipherstat-x","version":2})", "cipherstat-x", "x file", 1).status();
  EXPECT_EQ(s.code(), Status::Code::kNotSupported);
  EXPECT_EQ(s.message(), "version 2 is not supported");
  s = ParseFormat(R"({"format":"cipherstat-x","version":"1"})", "cipherstat-x", "x file", 1)
          .status();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
}

// Fuzzing found get<int>() on 2.1e74 (a partial file's custodian): an undefined float-to-int
// cast. IntAt accepts only integers that fit.
TEST(JsonTest, IntAtAcceptsOnlyIntegersThatFitAnInt) {
  const nlohmann::json j = nlohmann::json::parse(
      R"({"a": 7, "b": -5, "c": 2.111e74, "d": "3", "e": 1099511627776, "f": 1.0})");
  ASSERT_TRUE(IntAt(j, "a", "f").ok());
  EXPECT_EQ(*IntAt(j, "a", "f"), 7);
  EXPECT_EQ(*IntAt(j, "b", "f"), -5);
  for (const char* bad : {"c", "d", "e", "f"}) {
    const auto v = IntAt(j, bad, "file.json");
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().ToString(),
              "Corruption: file.json: '" + std::string(bad) + "' is not an integer");
  }
}

}  // namespace
}  // namespace cipherstat
