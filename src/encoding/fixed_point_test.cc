#include "encoding/fixed_point.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace cipherstat {
namespace {

// --- ParseFixedPoint -----------------------------------------------------------------------

TEST(ParseFixedPointTest, ExactDecimalValues) {
  const std::vector<std::tuple<std::string, int, int64_t>> cases = {
      {"26.33333", 5, 2633333},
      {"12.5", 2, 1250},
      {"12.50", 1, 125},  // trailing zeros beyond the scale are fine
      {"-3.5", 1, -35},
      {"200", 0, 200},
      {"1e3", 0, 1000},
      {"1.5E1", 0, 15},
      {"2.5e-1", 2, 25},
      {"-0", 0, 0},
      {"0.000", 0, 0},
      {"0e999999", 0, 0},
      {"+7", 0, 7},
      {".5", 1, 5},
      {"5.", 0, 5},
      {"007", 0, 7},
      {"0.1", 9, 100000000},
      {"10.677078252", 9, 10677078252},
      {"9223372036854775807", 0, INT64_MAX},
      {"-9223372036854775807", 0, -INT64_MAX},
      {"92233720368.54775807", 8, INT64_MAX},
  };
  for (const auto& [text, decimals, expected] : cases) {
    Result<int64_t> r = ParseFixedPoint(text, decimals);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    EXPECT_EQ(*r, expected) << text;
  }
}

TEST(ParseFixedPointTest, Rejects) {
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"12.345", 2, "decimals"},         {"1e-1", 0, "decimals"},
      {"1e-99999999999", 0, "decimals"}, {"9223372036854775808", 0, "too large"},
      {"1e19", 0, "too large"},          {"1e99999999999", 0, "too large"},
      {"1", 19, "decimals must be"},     {"1", -1, "decimals must be"},
  };
  for (const auto& [text, decimals, message] : cases) {
    Result<int64_t> r = ParseFixedPoint(text, decimals);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  }
  for (const char* text :
       {"",   "abc", "nan", "NaN", "inf",   "-inf", "Infinity", "0x10", "1,5",   " 1", "1 ",
        "1e", "1e+", "--1", "+-1", "1.2.3", "e5",   ".",        "-",    "1_000", "١"}) {
    Result<int64_t> r = ParseFixedPoint(text, 2);
    ASSERT_FALSE(r.ok()) << "'" << text << "'";
    EXPECT_NE(r.status().message().find("not a number"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace cipherstat
