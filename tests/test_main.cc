#include <gtest/gtest.h>
#include <sodium.h>

#include "crypto/init.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!cipherstat::crypto::Init().ok()) return 2;
  return RUN_ALL_TESTS();
}
