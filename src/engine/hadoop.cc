#include "engine/hadoop.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/mapreduce.h"
#include "engine/streaming.h"
#include "store/hdfs_storage.h"
#include "util/file.h"

extern char** environ;

namespace cipherstat {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The Hadoop launcher scripts' Java 17 flags, which a plain `java -cp` lacks.
std::vector<std::string> AddOpens() {
  std::vector<std::string> out;
  for (const char* pkg : {"java.lang", "java.lang.reflect", "java.io", "java.net", "java.nio",
                          "java.util", "java.util.concurrent", "java.util.zip", "java.math",
                          "java.text", "sun.security.util", "sun.security.x509", "sun.nio.ch"}) {
    out.push_back(std::string("--add-opens=java.base/") + pkg + "=ALL-UNNAMED");
  }
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs argv with stdout and stderr appended to `log_path`; forwards new log lines to `log`
// while it runs. Returns the exit code.
Result<int> RunLogged(const std::vector<std::string>& argv, const std::string& log_path,
                      const std::function<void(const std::string&)>& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status::IOError("cannot start " + argv[0] + ": " + std::strerror(rc) +
                           " (is Java installed? set JAVA or PATH)");
  }
  size_t shown = 0;
  std::string pending;
  auto forward = [&]() {
    auto text = ReadFile(log_path);
    if (!text.ok() || text->size() <= shown) return;
    pending += text->substr(shown);
    shown = text->size();
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (log) log(line);
    }
  };
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return Status::IOError("waitpid failed");
    forward();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  forward();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The lines of the log that say why a job failed, for the error message.
std::string FailureSummary(const std::string& log_text) {
  std::string out;
  size_t start = 0;
  int kept = 0;
  while (start < log_text.size() && kept < 8) {
    size_t nl = log_text.find('\n', start);
    std::string line = log_text.substr(start, nl == std::string::npos ? nl : nl - start);
    start = nl == std::string::npos ? log_text.size() : nl + 1;
    if (line.find(" ERROR ") != std::string::npos || line.find("Exception") == 0 ||
        line.find("Error: ") != std::string::npos || line.find("failed") != std::string::npos ||
        line.find("Connection refused") != std::string::npos) {
      if (line.size() > 400) line = line.substr(0, 400) + "…";
      out += "\n  " + line;
      ++kept;
    }
  }
  return out;
}

// Streaming prints "Counters: N" then groups; ours is "\tcipherstat" with "\t\tNAME=N" lines.
std::vector<std::pair<std::string, uint64_t>> ParseCounters(const std::string& log_text) {
  std::vector<std::pair<std::string, uint64_t>> out;
  size_t at = log_text.rfind("\n\tcipherstat\n");
  if (at == std::string::npos) return out;
  size_t start = at + std::string("\n\tcipherstat\n").size();
  while (start < log_text.size() && log_text.compare(start, 2, "\t\t") == 0) {
    size_t nl = log_text.find('\n', start);
    std::string line =
        log_text.substr(start + 2, (nl == std::string::npos ? log_text.size() : nl) - start - 2);
    size_t eq = line.find('=');
    if (eq != std::string::npos) {
      out.emplace_back(line.substr(0, eq), std::strtoull(line.c_str() + eq + 1, nullptr, 10));
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string JobId(const std::string& log_text) {
  size_t at = log_text.find("Running job: ");
  if (at == std::string::npos) return "";
  size_t end = log_text.find_first_of("\r\n", at);
  return log_text.substr(at + 13, end - at - 13);
}

}  // namespace

void HadoopConfigFromEnv(HadoopConfig* c) {
  auto fill = [](std::string* field, const char* var) {
    if (field->empty()) *field = Env(var);
  };
  fill(&c->conf_dir, "CIPHERSTAT_HADOOP_CONF");
  fill(&c->jars_dir, "CIPHERSTAT_HADOOP_JARS");
  fill(&c->resource_manager, "CIPHERSTAT_YARN_RM");
  fill(&c->default_fs, "CIPHERSTAT_HDFS_DEFAULT_FS");
  fill(&c->framework, "CIPHERSTAT_HADOOP_FRAMEWORK");
  if (!Env("JAVA").empty()) c->java = Env("JAVA");
}

Status HadoopConfigFromFile(const std::string& path, HadoopConfig* c, std::string* hdfs_user) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  auto trim = [](std::string s) {
    const char* ws = " \t\r";
    s.erase(0, s.find_first_not_of(ws));
    s.erase(s.find_last_not_of(ws) + 1);
    return s;
  };
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = trim(text.substr(start, nl == std::string::npos ? nl : nl - start));
    start = nl == std::string::npos ? text.size() : nl + 1;
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    const std::string where = path + " line " + std::to_string(line_number);
    size_t eq = line.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument(where + ": expected key = value");
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    std::string* field = key == "conf"         ? &c->conf_dir
                         : key == "jars"       ? &c->jars_dir
                         : key == "yarn_rm"    ? &c->resource_manager
                         : key == "default_fs" ? &c->default_fs
                         : key == "framework"  ? &c->framework
                         : key == "java"       ? &c->java
                         : key == "hdfs_user"  ? hdfs_user
                                               : nullptr;
    if (field == nullptr) {
      return Status::InvalidArgument(where + ": unknown key '" + key +
                                     "' (conf, jars, yarn_rm, default_fs, framework, java, "
                                     "hdfs_user)");
    }
    // Flags and the environment, filled before, win over the file.
    if (field->empty() || (field == &c->java && *field == "java")) *field = value;
  }
  return Status::OK();
}

Status CheckShippable(const std::string& path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, size_t{1} << 30));
  const std::string refuse = "refusing to submit the job: " + path;
  if (text.compare(0, 4,
                   "\x7f"
                   "ELF") == 0) {
    return Status::OK();  // the mapper program; it holds code, never a key
  }
  for (const char* marker : {"cipherstat-keystore", "cipherstat-paillier-secret",
                             "cipherstat-threshold-share", "cipherstat-audit-key"}) {
    if (text.find(marker) != std::string::npos) {
      return Status::InvalidArgument(refuse + " holds a secret key (" + marker +
                                     "); only the public key may leave the owner's machine");
    }
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  const std::string format =
      !j.is_discarded() && j.is_object() && j.contains("format") && j["format"].is_string()
          ? j["format"].get<std::string>()
          : "";
  if (format != "cipherstat-paillier-public" && format != "cipherstat-streaming-plan") {
    return Status::InvalidArgument(refuse +
                                   " is neither a public key nor a query plan; a job ships "
                                   "nothing else");
  }
  return Status::OK();
}

Result<HadoopRun> RunHadoop(const Dataset& dataset, const Plan& plan, const HadoopConfig& config_in,
                            const std::function<void(const std::string&)>& log) {
  // The one place that needs the dataset in HDFS: the job reads its segments there.
  const auto* storage = dynamic_cast<const HdfsStorage*>(dataset.storage.get());
  if (storage == nullptr) {
    return Status::InvalidArgument(
        "--engine hadoop reads the dataset from HDFS: --data must be "
        "hdfs://HOST:PORT/path, not " +
        dataset.path);
  }
  CS_ASSIGN_OR_RETURN(HdfsUri uri, storage->Locate(dataset.path));
  HadoopConfig config = config_in;
  HadoopConfigFromEnv(&config);
  if (config.conf_dir.empty() || config.jars_dir.empty()) {
    return Status::InvalidArgument(
        "the hadoop engine needs the Hadoop client configuration and jars: --hadoop-conf and "
        "--hadoop-jars, or CIPHERSTAT_HADOOP_CONF and CIPHERSTAT_HADOOP_JARS (hadoop/start "
        "prints them)");
  }
  if (!PathExists(config.conf_dir + "/core-site.xml")) {
    return Status::InvalidArgument(config.conf_dir + ": no core-site.xml (not a Hadoop conf dir)");
  }
  if (config.binary.empty()) {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return Status::IOError("cannot find the cipherstat executable to ship");
    config.binary.assign(buf, static_cast<size_t>(n));
  }

  CS_ASSIGN_OR_RETURN(std::string work, MakeLocalTempDir("cipherstat-job"));
  struct Cleanup {
    std::string dir;
    bool keep = false;
    ~Cleanup() {
      if (!keep) RemoveTree(dir);
    }
  } cleanup{work};

  // What the tasks get: the program, the plan (SQL, manifest, where the dataset is) and the
  // public key.
  const std::string& manifest_text = dataset.manifest_json;
  CS_ASSIGN_OR_RETURN(std::string binary, ReadFile(config.binary, size_t{1} << 30));
  CS_RETURN_IF_ERROR(WriteFileAtomic(work + "/cipherstat", binary, 0755));
  const StreamingPlan shipped_plan{
      plan.sql, manifest_text, dataset.path, {{"hdfs_user", storage->user()}}};
  CS_RETURN_IF_ERROR(
      WriteFileAtomic(work + "/plan.json", StreamingPlanToJson(shipped_plan), kSharedFile));
  CS_RETURN_IF_ERROR(WriteFileAtomic(work + "/public.key",
                                     crypto::PublicKeyToJson(dataset.public_key), kSharedFile));
  const std::vector<std::string> shipped = {work + "/cipherstat", work + "/plan.json",
                                            work + "/public.key"};
  for (const std::string& f : shipped) CS_RETURN_IF_ERROR(CheckShippable(f));

  WebHdfs hdfs = storage->Client(uri);
  const std::string output = "/tmp/cipherstat-jobs/" + storage->user() + "-" + RandomSuffix();
  // The job's input: one line per map task, each a range of chunks (streaming.h).
  const std::vector<ChunkRange> ranges =
      SplitIntoRanges(dataset.manifest, static_cast<uint64_t>(config.records_per_map));
  std::string range_lines;
  for (const ChunkRange& range : ranges) range_lines += RangeLine(dataset.manifest, range);
  const std::string input = output + ".ranges";
  CS_RETURN_IF_ERROR(hdfs.Mkdirs("/tmp/cipherstat-jobs"));
  // Readable by the job whichever HDFS user it runs as; it holds names and counts only.
  CS_RETURN_IF_ERROR(hdfs.Create(input, range_lines, false, kSharedFile));
  struct RemoveInput {
    WebHdfs* hdfs;
    std::string path;
    ~RemoveInput() { (void)hdfs->Delete(path, false); }
  } remove_input{&hdfs, input};
  std::string files;
  for (const std::string& f : shipped) files += (files.empty() ? "" : ",") + ("file://" + f);
  const std::string task = "cipherstat mapreduce ";
  const std::string args = " --plan plan.json --key public.key";

  std::vector<std::string> argv = {config.java, "-Xmx256m"};
  for (const std::string& flag : AddOpens()) argv.push_back(flag);
  argv.insert(argv.end(), {"-cp", config.conf_dir + ":" + config.jars_dir + "/*",
                           "org.apache.hadoop.streaming.HadoopStreaming"});
  auto define = [&](const std::string& kv) { argv.insert(argv.end(), {"-D", kv}); };
  // Generic options (-D, -files) come before the streaming options.
  define("mapreduce.job.name=cipherstat: " + plan.sql);
  // One map task per range line.
  define("mapreduce.input.lineinputformat.linespermap=1");
  define("mapreduce.job.reduces=" + std::to_string(config.reducers));
  define("mapreduce.map.maxattempts=4");
  define("stream.non.zero.exit.is.failure=true");
  if (!config.framework.empty()) define("mapreduce.framework.name=" + config.framework);
  if (!config.resource_manager.empty()) {
    define("yarn.resourcemanager.address=" + config.resource_manager);
  }
  if (!config.default_fs.empty()) define("fs.defaultFS=" + config.default_fs);
  for (const std::string& d : config.defines) define(d);
  argv.insert(argv.end(),
              {"-files", files, "-inputformat", "org.apache.hadoop.mapred.lib.NLineInputFormat",
               "-input", input, "-output", output, "-mapper", task + "map" + args, "-combiner",
               task + "reduce" + args, "-reducer", task + "reduce" + args});

  HadoopRun run;
  run.log_path = work + "/streaming.log";
  std::string command;
  for (const std::string& a : argv) command += ShellQuote(a) + " ";
  CS_RETURN_IF_ERROR(WriteFileAtomic(work + "/command.sh", command + "\n", 0600));
  if (log) {
    log("submitting a Hadoop Streaming job over " + dataset.path + " (" +
        std::to_string(ranges.size()) + " map tasks over " +
        std::to_string(dataset.manifest.segments.size()) + " segments)");
  }
  CS_ASSIGN_OR_RETURN(int rc, RunLogged(argv, run.log_path, [&](const std::string& line) {
                        if (log && (line.find("mapreduce.Job:") != std::string::npos ||
                                    line.find(" ERROR ") != std::string::npos)) {
                          log("  " + line);
                        }
                      }));
  CS_ASSIGN_OR_RETURN(std::string log_text, ReadFile(run.log_path));
  run.job_id = JobId(log_text);
  run.counters = ParseCounters(log_text);
  if (rc != 0) {
    (void)hdfs.Delete(output, true);
    cleanup.keep = true;
    return Status::IOError("the Hadoop Streaming job " +
                           (run.job_id.empty() ? std::string("(not submitted)") : run.job_id) +
                           " failed (exit " + std::to_string(rc) + "); client log " + run.log_path +
                           FailureSummary(log_text));
  }

  // Read the reducers' output back, then remove it.
  auto read_output = [&]() -> Result<std::vector<std::string>> {
    CS_ASSIGN_OR_RETURN(auto entries, hdfs.ListStatus(output));
    std::vector<std::string> texts;
    for (const auto& e : entries) {
      if (e.directory || e.name.rfind("part-", 0) != 0) continue;
      CS_ASSIGN_OR_RETURN(std::string t, hdfs.Open(output + "/" + e.name));
      texts.push_back(std::move(t));
    }
    return texts;
  };
  auto texts = read_output();
  (void)hdfs.Delete(output, true);
  if (!texts.ok()) return texts.status();

  StreamingContext context;
  context.shipped = shipped_plan;
  context.dataset = dataset;
  context.plan = plan;
  auto parsed = ParseStreamingOutput(context, *texts);
  if (!parsed.ok()) return parsed.status().WithContext(uri.ToString());

  run.result = ResultHeader(dataset, plan, "hadoop");
  EncryptedResult& result = run.result;
  result.records_read = parsed->records_read;
  result.records_matched = parsed->records_matched;
  result.groups = std::move(parsed->groups);
  if (result.records_read != dataset.manifest.record_count) {
    return Status::Corruption(
        uri.ToString() + ": the job read " + std::to_string(result.records_read) +
        " records but the manifest lists " + std::to_string(dataset.manifest.record_count) +
        " (a chunk range missing from the job?)");
  }
  return run;
}

namespace {

class HadoopStreamingEngine : public Engine {
 public:
  HadoopStreamingEngine(HadoopConfig config, std::string hdfs_user)
      : config_(std::move(config)), hdfs_user_(std::move(hdfs_user)) {}

  Result<EngineRun> Run(const Dataset& dataset, const Plan& plan,
                        const EngineContext& context) override {
    CS_ASSIGN_OR_RETURN(HadoopRun hadoop, RunHadoop(dataset, plan, config_, context.log));
    EngineRun run;
    run.result = std::move(hadoop.result);
    run.job_id = hadoop.job_id;
    run.job_name = "Hadoop job " + hadoop.job_id;
    run.counters = std::move(hadoop.counters);
    return run;
  }

  StorageConfig storage_config() const override {
    if (hdfs_user_.empty()) return {};
    return {{"hdfs_user", hdfs_user_}};
  }

 private:
  HadoopConfig config_;
  std::string hdfs_user_;  // from the --hadoop-config file
};

Result<std::unique_ptr<Engine>> MakeHadoopEngine(const EngineSettings& settings) {
  HadoopConfig config;
  config.conf_dir = Setting(settings, "--hadoop-conf");
  config.jars_dir = Setting(settings, "--hadoop-jars");
  config.resource_manager = Setting(settings, "--yarn-rm");
  config.default_fs = Setting(settings, "--hdfs-default-fs");
  config.framework = Setting(settings, "--hadoop-framework");
  if (auto it = settings.find("--hadoop-define"); it != settings.end()) config.defines = it->second;
  CS_ASSIGN_OR_RETURN(config.reducers, IntSetting(settings, "--reducers", 1));
  CS_ASSIGN_OR_RETURN(config.records_per_map,
                      IntSetting(settings, "--map-records", config.records_per_map));
  if (config.records_per_map < 1) {
    return Status::InvalidArgument("--map-records must be at least 1");
  }
  std::string hdfs_user;
  if (const std::string file = Setting(settings, "--hadoop-config"); !file.empty()) {
    CS_RETURN_IF_ERROR(HadoopConfigFromFile(file, &config, &hdfs_user));
  }
  return std::unique_ptr<Engine>(
      std::make_unique<HadoopStreamingEngine>(std::move(config), std::move(hdfs_user)));
}

}  // namespace

EngineEntry HadoopStreamingEngineEntry() {
  return {"hadoop",
          "Streaming on YARN",
          "Hadoop engine",
          {
              {"--hadoop-conf", "Hadoop client conf folder", "CIPHERSTAT_HADOOP_CONF"},
              {"--hadoop-jars", "Folder of Hadoop jars incl. hadoop-streaming",
               "CIPHERSTAT_HADOOP_JARS"},
              {"--yarn-rm", "ResourceManager HOST:PORT, overriding the conf", "CIPHERSTAT_YARN_RM"},
              {"--hdfs-default-fs", "fs.defaultFS (hdfs://NAMENODE:RPC_PORT), overriding the conf",
               "CIPHERSTAT_HDFS_DEFAULT_FS"},
              {"--hadoop-framework", "mapreduce.framework.name: yarn, or local to run in one JVM",
               "CIPHERSTAT_HADOOP_FRAMEWORK"},
              {"--hadoop-define", "Extra -D KEY=VALUE for the job", "", false,
               /*repeatable=*/true},
              {"--hadoop-config",
               "File of key = value lines: conf, jars, yarn_rm, default_fs, framework, java, "
               "hdfs_user; flags and env win",
               "CIPHERSTAT_HADOOP_CONFIG"},
              {"--reducers", "Reduce tasks", "", /*integer=*/true},
              {"--map-records",
               "Records a map task reads (default 524288; rounded to whole chunks of 4096)", "",
               /*integer=*/true},
          },
          MakeHadoopEngine};
}

}  // namespace cipherstat
