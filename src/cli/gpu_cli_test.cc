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
    const std::string error = testing::MakeCohortDataset(dir_, 120, 5, 100, dir_ / "cpu");
    ASSERT_TRUE(error.empty()) << error;
  }
  CommandResult Encrypt(const std::string& driver, const std::string& flags, const std::string& out,
                        const std::string& env = "") {
    return testing::RunCommand(
        env + " CIPHERSTAT_PASSPHRASE=x CIPHERSTAT_CUDA_LIBRARY=" + ShellQuote(driver) + " " +
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
  // The kernels' own tests cover both shapes in both modes; bench/gpu_check.sh's test runs
  // standard mode's thread kernel end to end.
  for (const std::string run : {"djn group", "djn thread", "standard group"}) {
    const std::string mode = run.substr(0, run.find(' ')), kernel = run.substr(run.find(' ') + 1);
    const std::string out = dir_ / ("gpu-" + mode + "-" + kernel);
    CommandResult gpu = Encrypt(CIPHERSTAT_CUDA_STUB,
                                "--mode " + mode + " --device gpu --gpu-kernel " + kernel, out);
    if (Contains(gpu.output, "built without the GPU kernel")) GTEST_SKIP() << gpu.output;
    ASSERT_EQ(gpu.exit_code, 0) << gpu.output;
    EXPECT_TRUE(Contains(gpu.output, "on the GPU")) << gpu.output;
    EXPECT_TRUE(Contains(gpu.output, "GPU steps: load ")) << gpu.output;
    for (const std::string sql :
         {"SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm",
          "SELECT COUNT(*), AVG(age) FROM cohort"}) {
      const std::string on_cpu = Released(dir_ / "cpu", sql);
      EXPECT_FALSE(on_cpu.empty());
      EXPECT_EQ(Released(out, sql), on_cpu) << run << ": " << sql;
    }
  }
}

TEST_F(GpuCliTest, NoDriverIsARefusalOnGpuAndTheCpuOnAuto) {
  const std::string none = "/nonexistent/libcuda.so.1";
  CommandResult gpu = Encrypt(none, "--mode djn --device gpu", dir_ / "gpu");
  EXPECT_NE(gpu.exit_code, 0) << gpu.output;
  EXPECT_TRUE(Contains(gpu.output, "--device gpu")) << gpu.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "gpu"));
  CommandResult public_only =
      Encrypt(CIPHERSTAT_CUDA_STUB, "--public-only --device gpu", dir_ / "public");
  EXPECT_NE(public_only.exit_code, 0) << public_only.output;
  EXPECT_TRUE(Contains(public_only.output, "with the secret key only")) << public_only.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "public"));
  CommandResult fallback = Encrypt(none, "--mode djn --device auto", dir_ / "auto");
  ASSERT_EQ(fallback.exit_code, 0) << fallback.output;
  EXPECT_TRUE(Contains(fallback.output, "(no GPU: ")) << fallback.output;
  EXPECT_EQ(Released(dir_ / "auto", "SELECT COUNT(*), AVG(cd4) FROM cohort"),
            Released(dir_ / "cpu", "SELECT COUNT(*), AVG(cd4) FROM cohort"));
}

// A GPU that computes wrongly (the stub's last thread flips a bit) stops encrypt in either mode
// with the spot check's message, and leaves no dataset.
TEST_F(GpuCliTest, AGpuThatComputesWronglyIsCaughtAndNothingIsWritten) {
  for (const std::string mode : {"djn", "standard"}) {
    const std::string out = dir_ / ("wrong-" + mode);
    CommandResult gpu =
        Encrypt(CIPHERSTAT_CUDA_STUB, "--mode " + mode + " --device gpu --gpu-batch 20", out,
                "CIPHERSTAT_CUDA_STUB_WRONG=1");
    if (Contains(gpu.output, "built without the GPU kernel")) GTEST_SKIP() << gpu.output;
    EXPECT_NE(gpu.exit_code, 0) << gpu.output;
    EXPECT_TRUE(Contains(gpu.output, "differs from the CPU's check")) << gpu.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << mode;
  }
}

// bench/gpu_check.sh, the script a machine with a GPU runs, against the stub at small counts:
// both modes on both devices, every released table checked against awk's plaintext answer.
TEST(GpuCheckScript, PassesAgainstTheStubDriver) {
  // --alt-batch 16: the sample's 40 records make three GPU batches, two in flight at once.
  CommandResult check = testing::RunCommand(
      "CIPHERSTAT_CUDA_LIBRARY=" + ShellQuote(CIPHERSTAT_CUDA_STUB) + " " +
      ShellQuote(std::string(CIPHERSTAT_SOURCE_DIR) + "/bench/gpu_check.sh") + " --bin " +
      ShellQuote(testing::Binary()) + " --records 120 --sample-records 40 --alt-batch 16");
  if (Contains(check.output, "built without the GPU kernel")) GTEST_SKIP() << check.output;
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_TRUE(Contains(check.output, "All released tables equal the plaintext computation"))
      << check.output;
  for (const std::string row :
       {"djn       gpu group 16384 ", "djn       gpu group 16 ", "djn       gpu thread 16384 ",
        "standard  gpu group 16384 ", "standard  gpu thread 16384 "}) {
    EXPECT_TRUE(Contains(check.output, row)) << row << "\n" << check.output;
  }
  EXPECT_TRUE(Contains(check.output, "standard gpu thread 16384: GPU steps: load "))
      << check.output;
}

}  // namespace
}  // namespace cipherstat
