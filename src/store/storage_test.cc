// The storage layer: backends chosen by scheme, the local backend, and the HDFS backend
// against a loopback fake of the WebHDFS read operations (GETFILESTATUS, OPEN) serving a local
// folder, so that reading a dataset from hdfs:// is tested without a cluster.
#include "store/storage.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "crypto/init.h"
#include "engine/mapreduce.h"
#include "pipeline/publish.h"
#include "store/dataset.h"
#include "store/hdfs_storage.h"
#include "store/local_storage.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using testing::CommandResult;
using testing::ScratchDir;

// Serves the files under `root` as HDFS paths: GETFILESTATUS and OPEN (with offset and
// length), one request per
// connection. Records each request as "OP PATH USER".
class FakeWebHdfs {
 public:
  explicit FakeWebHdfs(std::string root) : root_(std::move(root)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeWebHdfs() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  const std::string& address() const { return address_; }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      const std::string answer = Answer(request.substr(0, request.find("\r\n")));
      for (size_t sent = 0; sent < answer.size();) {
        ssize_t n = ::write(fd, answer.data() + sent, answer.size() - sent);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::close(fd);
    }
  }

  // "GET /webhdfs/v1/PATH?op=OP&user.name=USER HTTP/1.1"
  std::string Answer(const std::string& line) {
    const size_t start = line.find("/webhdfs/v1") + 11, query = line.find('?');
    const std::string path = line.substr(start, query - start);
    auto param = [&](const std::string& name) {
      size_t at = line.find(name + "=", query);
      return at == std::string::npos
                 ? ""
                 : line.substr(at + name.size() + 1,
                               line.find_first_of("& ", at) - at - name.size() - 1);
    };
    const std::string op = param("op");
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(op + " " + path + " " + param("user.name"));
    }
    auto text = ReadFile(root_ + path);
    const bool folder = !text.ok() && PathExists(root_ + path + "/.");
    if (!text.ok() && !folder) {
      return Http("404 Not Found", R"({"RemoteException":{"exception":"FileNotFoundException",)"
                                   R"("message":"File does not exist: )" +
                                       path + "\"}}");
    }
    if (op == "GETFILESTATUS") {
      return Http("200 OK", R"({"FileStatus":{"type":")" +
                                std::string(folder ? "DIRECTORY" : "FILE") + R"(","length":)" +
                                std::to_string(folder ? 0 : text->size()) + "}}");
    }
    if (op == "OPEN" && !folder) {
      // offset and length as WebHDFS takes them: a range past the end is cut short, an
      // offset past the end refused.
      const std::string offset = param("offset"), length = param("length");
      const size_t from = offset.empty() ? 0 : std::stoull(offset);
      if (from > text->size()) {
        return Http("403 Forbidden", R"({"RemoteException":{"exception":"IOException",)"
                                     R"("message":"Offset out of the range"}})");
      }
      const size_t count = length.empty() ? std::string::npos : std::stoull(length);
      return Http("200 OK", text->substr(from, count));
    }
    return Http("400 Bad Request", "{}");
  }

  static std::string Http(const std::string& status, const std::string& body) {
    return "HTTP/1.1 " + status +
           "\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  std::string root_, address_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

// Unsets an environment variable for one test.
class ScopedUnsetEnv {
 public:
  explicit ScopedUnsetEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
    ::unsetenv(name);
  }
  ~ScopedUnsetEnv() {
    if (saved_) ::setenv(name_, saved_->c_str(), 1);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StorageRegistry, ChoosesTheBackendByScheme) {
  auto local = StorageFor("/some/folder");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_NE(dynamic_cast<const LocalStorage*>(local->get()), nullptr);
  auto hdfs = StorageFor("hdfs://127.0.0.1:9870/x");
  ASSERT_TRUE(hdfs.ok()) << hdfs.status().ToString();
  EXPECT_NE(dynamic_cast<const HdfsStorage*>(hdfs->get()), nullptr);
  auto s3 = StorageFor("s3://bucket/x");
  ASSERT_FALSE(s3.ok());
  EXPECT_TRUE(Contains(s3.status().ToString(), "s3://")) << s3.status().ToString();
  EXPECT_TRUE(Contains(s3.status().ToString(), "hdfs://")) << s3.status().ToString();
  EXPECT_TRUE(HasScheme("hdfs://h:1/x"));
  EXPECT_FALSE(HasScheme("relative/path"));
  EXPECT_FALSE(HasScheme("/a/b://c"));  // "://" after a slash is part of a local name
}

TEST(StorageRegistry, HdfsUserComesFromTheConfigurationUnlessTheEnvironmentSetsIt) {
  ScopedUnsetEnv unset("CIPHERSTAT_HDFS_USER");
  EXPECT_EQ(HdfsStorage(StorageConfig{{"hdfs_user", "stats"}}).user(), "stats");
  ::setenv("CIPHERSTAT_HDFS_USER", "from-env", 1);
  EXPECT_EQ(HdfsStorage(StorageConfig{{"hdfs_user", "stats"}}).user(), "from-env");
}

TEST(LocalStorage, StreamsSizeThenChunksAndStopsAtTheFirstError) {
  ScratchDir dir;
  const std::string text(200000, 'x');
  LocalStorage storage;
  ASSERT_TRUE(storage.WriteFileAtomic(dir / "f", text, true).ok());
  uint64_t size = 0;
  std::string got;
  ASSERT_TRUE(storage
                  .StreamFile(
                      dir / "f",
                      [&](uint64_t n) {
                        size = n;
                        return Status::OK();
                      },
                      [&](std::string_view chunk) {
                        got.append(chunk);
                        return Status::OK();
                      })
                  .ok());
  EXPECT_EQ(size, text.size());
  EXPECT_EQ(got, text);
  int chunks = 0;
  Status stopped = storage.StreamFile(
      dir / "f", [](uint64_t) { return Status::OK(); },
      [&](std::string_view) {
        ++chunks;
        return Status::Corruption("enough");
      });
  EXPECT_EQ(stopped.ToString(), Status::Corruption("enough").ToString());
  EXPECT_EQ(chunks, 1);
  auto exists = storage.Exists(dir / "f");
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
}

// Outputs never clobber (issue 15): without overwrite an existing file stays as it is, also when
// it appears while the new one is being written (the final move refuses, it does not check).
TEST(LocalStorage, WriteWithoutOverwriteLeavesAnExistingFile) {
  ScratchDir dir;
  LocalStorage storage;
  const std::string path = dir / "out.json";
  ASSERT_TRUE(storage.WriteFileAtomic(path, "first", false).ok());
  Status refused = storage.WriteFileAtomic(path, "second", false);
  EXPECT_EQ(refused.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(refused.message(), path + " exists; pass --force to replace it");
  EXPECT_EQ(testing::ReadText(path), "first");
  ASSERT_TRUE(storage.WriteFileAtomic(path, "third", true).ok());
  EXPECT_EQ(testing::ReadText(path), "third");

  const std::string raced = dir / "raced.csv";
  AtomicFile file;
  ASSERT_TRUE(file.Open(raced, kPrivateFile, /*overwrite=*/false).ok());
  ASSERT_TRUE(file.Append("mine").ok());
  testing::WriteText(raced, "theirs");  // appears before the commit
  Status commit = file.Commit();
  EXPECT_EQ(commit.ToString(), OutputExists(raced).ToString());
  EXPECT_EQ(testing::ReadText(raced), "theirs");
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.exists() ? 1 : 0;
  EXPECT_EQ(files, 2u) << "the temporary file was left behind";
}

class HdfsDatasetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(crypto::Init().ok());
    dir_ = new ScratchDir();
    ::mkdir((*dir_ / "root").c_str(), 0700);  // the fake NameNode's namespace
    error_ = testing::MakeCohortDataset(*dir_, 120, 7, 50, *dir_ / "root/ds");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(error_.empty()) << error_; }

  static ScratchDir* dir_;
  static std::string error_;
};
ScratchDir* HdfsDatasetTest::dir_ = nullptr;
std::string HdfsDatasetTest::error_;

TEST_F(HdfsDatasetTest, LocalEngineStreamsSegmentsFromHdfs) {
  FakeWebHdfs server(*dir_ / "root");
  const std::string uri = "hdfs://" + server.address() + "/ds";
  const std::string sql = "SELECT arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY arm";
  CommandResult local =
      testing::RunCommand("'" + testing::Binary() + "' query --data " + *dir_ / "root/ds" +
                          " --sql '" + sql + "' --out " + *dir_ / "local.json");
  ASSERT_EQ(local.exit_code, 0) << local.output;
  CommandResult remote =
      testing::RunCommand("CIPHERSTAT_HDFS_USER=alice '" + testing::Binary() + "' query --data " +
                          uri + " --sql '" + sql + "' --out " + *dir_ / "remote.json");
  ASSERT_EQ(remote.exit_code, 0) << remote.output;
  // The same result, byte for byte, wherever the dataset is read from.
  EXPECT_EQ(testing::ReadText(*dir_ / "local.json"), testing::ReadText(*dir_ / "remote.json"));
  auto dataset = OpenDataset(*dir_ / "root/ds");
  ASSERT_TRUE(dataset.ok());
  // Each segment's public file and the columns the query sums, one OPEN a chunk; no other
  // column is read.
  auto plan = MakePlan(sql, dataset->manifest.catalog, dataset->layout);
  ASSERT_TRUE(plan.ok());
  size_t chunks = 0;
  for (const SegmentInfo& segment : dataset->manifest.segments) chunks += segment.chunks.size();
  int opened = 0;
  for (const std::string& request : server.requests()) {
    EXPECT_TRUE(request.ends_with(" alice")) << request;
    if (!request.starts_with("OPEN /ds/segments/")) continue;
    ++opened;
    bool summed = request.find(".pub ") != std::string::npos;
    for (int c : plan->ciphertexts) summed |= Contains(request, ".c" + std::to_string(c) + " ");
    EXPECT_TRUE(summed) << "read a column the query does not sum: " << request;
  }
  EXPECT_EQ(opened, static_cast<int>(chunks * (1 + plan->ciphertexts.size())));
}

TEST_F(HdfsDatasetTest, SegmentsFromHdfsAreVerified) {
  ScratchDir copy;
  ASSERT_EQ(
      testing::RunCommand("cp -r '" + *dir_ / "root/ds" + "' '" + copy / "ds" + "'").exit_code, 0);
  auto dataset = OpenDataset(copy / "ds");
  ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
  auto plan =
      MakePlan("SELECT COUNT(*), AVG(cd4) FROM cohort", dataset->manifest.catalog, dataset->layout);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const SegmentInfo& first = dataset->manifest.segments[0];
  // One byte of a ciphertext the query sums: only the digests can tell.
  const std::string first_column = dataset->SegmentFile(first, plan->ciphertexts.at(0));
  std::string altered_bytes = testing::ReadText(first_column);
  altered_bytes.at(altered_bytes.size() / 2) ^= 1;
  testing::WriteText(first_column, altered_bytes);
  testing::WriteText(dataset->SegmentFile(dataset->manifest.segments[1], -1), "short\n");

  FakeWebHdfs server(copy.path());
  auto remote = OpenDataset("hdfs://" + server.address() + "/ds");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_EQ(remote->manifest_sha256, dataset->manifest_sha256);
  auto read = [&](const SegmentInfo& segment) {
    return ReadChunks(*remote, segment, 0, segment.chunks.size(), plan->ciphertexts,
                      [](const RecordView&) { return Status::OK(); });
  };
  Status altered = read(first);
  EXPECT_TRUE(
      Contains(altered.ToString(), first_column.substr(first_column.rfind('/') + 1) + ": chunk 0"))
      << altered.ToString();
  EXPECT_TRUE(Contains(altered.ToString(), "digest")) << altered.ToString();
  Status truncated = read(remote->manifest.segments[1]);
  EXPECT_TRUE(Contains(truncated.ToString(), "ends before byte")) << truncated.ToString();
  // A range that starts past the end, which HDFS refuses rather than cuts short, reads as
  // truncated too.
  const std::string key = "hdfs://" + server.address() + "/ds/public.key";
  auto past_end = remote->storage->ReadRange(key, 1 << 20, 10);
  EXPECT_EQ(past_end.status().code(), Status::Code::kCorruption) << past_end.status().ToString();
  EXPECT_TRUE(Contains(past_end.status().ToString(), "ends before byte"))
      << past_end.status().ToString();
  auto result = RunLocal(*remote, *plan, LocalOptions{});
  EXPECT_FALSE(result.ok());
}

// The same rules through hdfs://: an existing file is refused unread-over, a dataset or key
// folder is recognised by name, key material by content.
TEST_F(HdfsDatasetTest, OutputsOnHdfsNeverClobber) {
  const std::string root = *dir_ / "root";
  std::filesystem::create_directories(root + "/out");
  std::filesystem::create_directories(root + "/k");
  std::filesystem::create_directories(root + "/backup");
  testing::WriteText(root + "/out/existing.json", "precious");
  std::filesystem::copy_file(*dir_ / "keys/public.key", root + "/k/public.key");
  std::filesystem::copy_file(*dir_ / "keys/secret.key", root + "/backup/owner.bak");
  FakeWebHdfs server(root);
  const std::string hdfs = "hdfs://" + server.address();

  Status refused = HdfsStorage({}).WriteFileAtomic(hdfs + "/out/existing.json", "new", false);
  EXPECT_EQ(refused.ToString(), OutputExists(hdfs + "/out/existing.json").ToString());
  for (const std::string& request : server.requests()) {
    EXPECT_FALSE(request.starts_with("CREATE")) << request;
  }
  EXPECT_EQ(testing::ReadText(root + "/out/existing.json"), "precious");

  EXPECT_EQ(pipeline::CheckOutput(hdfs + "/out/existing.json", false).ToString(),
            OutputExists(hdfs + "/out/existing.json").ToString());
  EXPECT_TRUE(pipeline::CheckOutput(hdfs + "/out/existing.json", true).ok());
  EXPECT_TRUE(pipeline::CheckOutput(hdfs + "/out/new.json", false).ok());
  auto refuses = [&](const std::string& path, const std::string& why) {
    Status s = pipeline::CheckOutput(hdfs + path, true);
    EXPECT_FALSE(s.ok()) << path;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.ToString();
  };
  refuses("/ds/manifest.json", "dataset folder");
  refuses("/ds/result.json", "dataset folder");
  refuses("/ds/segments/part-00000", "dataset folder");
  refuses("/k/result.json", "key folder (it holds public.key)");
  refuses("/backup/owner.bak", "is a keystore");
}

}  // namespace
}  // namespace cipherstat
