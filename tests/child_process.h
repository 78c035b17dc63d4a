// Runs the cipherstat binary as a child process for fault-injection and resource tests: feed
// its standard input from a generator, kill it with SIGKILL after a delay, and read its exit
// status, output and peak resident memory (getrusage of the child, via wait4).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

extern char** environ;

namespace cipherstat::testing {

struct ChildOptions {
  int kill_after_ms = -1;  // < 0: let it finish
  // Called repeatedly for the next chunk of standard input; return false at the end. Empty:
  // standard input is /dev/null.
  std::function<bool(std::string* chunk)> stdin_chunks;
};

struct ChildResult {
  bool killed = false;  // SIGKILL arrived before the child exited
  int exit_code = -1;   // when it exited on its own
  long max_rss_kb = 0;  // peak resident set size of the child
  std::string output;   // stdout and stderr
};

// Runs `Binary() args...`.
inline ChildResult RunChild(const std::vector<std::string>& args,
                            const ChildOptions& options = {}) {
  std::vector<std::string> argv_strings = {Binary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  ChildResult result;
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (options.stdin_chunks && ::pipe2(in_pipe, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_chunks) {
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (options.stdin_chunks) ::close(in_pipe[0]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    if (options.stdin_chunks) ::close(in_pipe[1]);
    result.output = "posix_spawn failed";
    return result;
  }

  // A child that stops reading early (it rejected the input) must not kill us with SIGPIPE.
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  std::thread feeder;
  if (options.stdin_chunks) {
    feeder = std::thread([&, fd = in_pipe[1]] {
      std::string chunk;
      while (options.stdin_chunks(&chunk)) {
        size_t off = 0;
        while (off < chunk.size()) {
          ssize_t n = ::write(fd, chunk.data() + off, chunk.size() - off);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) {
            ::close(fd);
            return;
          }
          off += static_cast<size_t>(n);
        }
      }
      ::close(fd);
    });
  }
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out_pipe[0], buf, sizeof buf)) > 0) {
      if (result.output.size() < (1u << 20)) result.output.append(buf, static_cast<size_t>(n));
    }
    ::close(out_pipe[0]);
  });

  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(options.kill_after_ms < 0 ? 0 : options.kill_after_ms);
  int status = 0;
  struct rusage usage {};
  for (;;) {
    pid_t done = ::wait4(pid, &status, options.kill_after_ms < 0 ? 0 : WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (options.kill_after_ms >= 0 && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
      result.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (feeder.joinable()) feeder.join();
  reader.join();
  ::sigaction(SIGPIPE, &previous, nullptr);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.max_rss_kb = usage.ru_maxrss;
  return result;
}

}  // namespace cipherstat::testing
