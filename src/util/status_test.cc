#include "util/status.h"

#include <gtest/gtest.h>

#include <string>

namespace cipherstat {
namespace {

TEST(EscapeControls, ControlsDelC1AndBrokenUtf8AreEscapedTheRestKept) {
  EXPECT_EQ(EscapeControls("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(EscapeControls(std::string("a\0b\tc\nd\x7f", 8)), "a\\x00b\\x09c\\x0ad\\x7f");
  EXPECT_EQ(EscapeControls("\xc2\x9b"
                           "31m"),
            "\\u009b31m");  // C1 CSI, as UTF-8
  EXPECT_EQ(EscapeControls("\x9b"
                           "31m"),
            "\\x9b31m");                                         // the same byte alone
  EXPECT_EQ(EscapeControls("caf\xe9"), "caf\\xe9");              // Latin-1, not UTF-8
  EXPECT_EQ(EscapeControls("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(EscapeControls("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(EscapeControls("Zürich 東京 😀 a\\b"), "Zürich 東京 😀 a\\b");
  EXPECT_EQ(EscapeControls("\xc2\xa0"), "\xc2\xa0");  // NBSP is not C1
}

TEST(QuoteInput, KeepsAtMostMaxBytesAndSaysHowLongItWas) {
  EXPECT_EQ(QuoteInput("short"), "short");
  const std::string hex(2048, 'a');
  EXPECT_EQ(QuoteInput(hex), std::string(64, 'a') + "… (2048 bytes)");
  EXPECT_EQ(QuoteInput(hex, 8), "aaaaaaaa… (2048 bytes)");
  EXPECT_EQ(QuoteInput("\x1b\x1b\x1b", 2), "\\x1b\\x1b… (3 bytes)");
  EXPECT_EQ(QuoteInput("ééé", 3), "é… (6 bytes)");  // never half a character
}

}  // namespace
}  // namespace cipherstat
