#pragma once
// A child program for a test: stdout and stderr go to files the test reads afterwards.
// The child runs in its own process group and gets SIGKILL if the thread that started it
// ends (PR_SET_PDEATHSIG), so it never outlives the test binary. Start processes from the
// test's main thread.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace almagate::test {

// Extra environment variables, name -> value; they replace inherited ones of the same name.
using env_vars = std::vector<std::pair<std::string, std::string>>;

// Where the output goes: <dir>/<name>.stdout and <dir>/<name>.stderr.
// An empty dir: a temp_dir owned by the process.
struct process_logs {
  std::filesystem::path dir{};
  std::string name = "process";
};

class process {
 public:
  // Starts `program` (a path; no PATH search) with `args` (argv[1...]). Throws
  // std::runtime_error if it cannot be started (including exec failure in the child).
  process(std::string program, std::vector<std::string> args, env_vars env = {},
          process_logs logs = {});
  ~process();  // SIGKILL to the group and reap, if still running
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& program() const { return program_; }

  // True until the child has exited (reaps it when it has).
  bool running();
  // Waits up to `timeout` for the child to exit by itself. Returns exit_code() or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Sends `signal` to the child's process group, waits up to `grace`, then SIGKILL.
  // Returns the exit code (see exit_code()).
  int terminate(int signal = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Sends `signal` (e.g. SIGHUP) to the child only, without waiting.
  void send_signal(int signal) const;

  // After exit: the exit status (0..255), or -N if killed by signal N. nullopt while running.
  std::optional<int> exit_code() const { return exit_code_; }

  std::filesystem::path stdout_path() const;
  std::filesystem::path stderr_path() const;
  std::string stdout_text() const;
  std::string stderr_text() const;
  // "program (pid N, exit X): <last lines of stderr>", for failure messages.
  std::string describe(std::size_t tail_bytes = 2000) const;

 private:
  bool reap(bool block);

  std::string program_;
  std::unique_ptr<temp_dir> own_dir_;
  process_logs logs_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace almagate::test
