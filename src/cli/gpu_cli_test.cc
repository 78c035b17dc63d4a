// `encrypt --device gpu|auto` end to end, with the stub driver (tests/cuda_stub.cc) standing in
// for libcuda.so.1: a GPU-encrypted dataset answers exactly as a CPU-encrypted one; a missing
// driver is a clear refusal with --device gpu and the CPU with --device auto.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_util.h"

namespace cipherstat {
namespace {

using testing::CommandResult;
using testing::ScratchDir;
using testing::ShellQuote;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class GpuCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string error = testing::MakeCohortDataset(dir_, 300, 5, 100, dir_ / "cpu");
    ASSERT_TRUE(error.empty()) << error;
  }
  CommandResult Encrypt(const std::string& driver, const std::string& flags,
                        const std::string& out) {
    return testing::RunCommand(
        "CIPHERSTAT_PASSPHRASE=x CIPHERSTAT_CUDA_LIBRARY=" + ShellQuote(driver) + " " +
        ShellQuote(testing::Binary()) + " encrypt " + flags + " --schema " +
        ShellQuote(dir_ / "schema.json") + " --key " + ShellQuote(dir_ / "keys") + " --in " +
        ShellQuote(dir_ / "clean.csv") + " --out " + ShellQuote(out));
  }
  // The released table of `sql` over `dataset`, without the line naming the dataset.
  std::string Released(const std::string& dataset, const std::string& sql) {
    const std::string result = dataset + "-result.json";
    CommandResult q =
        testing::RunCipherstat("query --force --data " + ShellQuote(dataset) + " --sql " +
                               ShellQuote(sql) + " --out " + ShellQuote(result));
    EXPECT_EQ(q.exit_code, 0) << q.output;
    CommandResult d = testing::RunCipherstat("decrypt --key " + ShellQuote(dir_ / "keys") +
                                             " --in " + ShellQuote(result));
    EXPECT_EQ(d.exit_code, 0) << d.output;
    std::string table;
    for (const std::string& line : testing::Lines(d.output)) {
      if (!Contains(line, "(dataset ")) table += line + "\n";
    }
    return table;
  }
  ScratchDir dir_;
};

TEST_F(GpuCliTest, AGpuEncryptedDatasetAnswersLikeACpuEncryptedOne) {
  CommandResult gpu = Encrypt(CIPHERSTAT_CUDA_STUB, "--mode djn --device gpu", dir_ / "gpu");
  if (Contains(gpu.output, "built without the GPU kernel")) GTEST_SKIP() << gpu.output;
  ASSERT_EQ(gpu.exit_code, 0) << gpu.output;
  EXPECT_TRUE(Contains(gpu.output, "on the GPU")) << gpu.output;
  for (const std::string sql :
       {"SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm",
        "SELECT COUNT(*), AVG(age) FROM cohort"}) {
    const std::string on_cpu = Released(dir_ / "cpu", sql);
    EXPECT_FALSE(on_cpu.empty());
    EXPECT_EQ(Released(dir_ / "gpu", sql), on_cpu) << sql;
  }
}

TEST_F(GpuCliTest, NoDriverIsARefusalOnGpuAndTheCpuOnAuto) {
  const std::string none = "/nonexistent/libcuda.so.1";
  CommandResult gpu = Encrypt(none, "--mode djn --device gpu", dir_ / "gpu");
  EXPECT_NE(gpu.exit_code, 0) << gpu.output;
  EXPECT_TRUE(Contains(gpu.output, "--device gpu")) << gpu.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "gpu"));
  CommandResult standard = Encrypt(CIPHERSTAT_CUDA_STUB, "--device gpu", dir_ / "standard");
  EXPECT_NE(standard.exit_code, 0) << standard.output;
  EXPECT_TRUE(Contains(standard.output, "only DJN mode runs on a GPU")) << standard.output;
  CommandResult fallback = Encrypt(none, "--mode djn --device auto", dir_ / "auto");
  ASSERT_EQ(fallback.exit_code, 0) << fallback.output;
  EXPECT_TRUE(Contains(fallback.output, "(no GPU: ")) << fallback.output;
  EXPECT_EQ(Released(dir_ / "auto", "SELECT COUNT(*), AVG(cd4) FROM cohort"),
            Released(dir_ / "cpu", "SELECT COUNT(*), AVG(cd4) FROM cohort"));
}

}  // namespace
}  // namespace cipherstat
