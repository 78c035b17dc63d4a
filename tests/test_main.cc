#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include "crypto/init.h"
#include "test_util.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!cipherstat::crypto::Init().ok()) return 2;
  // Every command the tests run appends to an audit log; keep it, and the audit signing key,
  // in a scratch folder rather than the user's ~/.cipherstat.
  cipherstat::testing::ScratchDir audit_home;
  ::setenv("CIPHERSTAT_AUDIT_LOG", (audit_home / "audit.jsonl").c_str(), 1);
  ::setenv("CIPHERSTAT_AUDIT_DIR", (audit_home / "audit").c_str(), 1);
  return RUN_ALL_TESTS();
}
