#include "tests/support/process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "tests/support/wait.hpp"

extern char** environ;

namespace almagate::test {
namespace {

[[noreturn]] void child_fail(int error_pipe) {
  const int err = errno;
  [[maybe_unused]] auto n = ::write(error_pipe, &err, sizeof err);
  ::_exit(127);
}

int open_log(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  return fd;
}

// The inherited environment with `extra` replacing or adding entries.
std::vector<std::string> merged_environment(const env_vars& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [n, v] : extra) replaced = replaced || n == name;
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [n, v] : extra) out.push_back(n + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

process::process(std::string program, std::vector<std::string> args, env_vars env,
                 process_logs logs)
    : program_(std::move(program)), logs_(std::move(logs)) {
  if (logs_.dir.empty()) {
    own_dir_ = std::make_unique<temp_dir>("almagate-proc");
    logs_.dir = own_dir_->path();
  }
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> argv_strings{program_};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = merged_environment(env);
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);

  const int out_fd = open_log(stdout_path());
  const int err_fd = open_log(stderr_path());
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error_pipe[2];
  if (null_fd < 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(out_fd);
    ::close(err_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::system_error(err, std::generic_category(), "pipe2");
  }
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(error_pipe[1]);
    // The parent may have died before prctl took effect.
    if (::getppid() != parent) ::_exit(127);
    if (::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0)
      child_fail(error_pipe[1]);
    // Sockets the test binary opened without CLOEXEC must not leak into the child.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    child_fail(error_pipe[1]);
  }
  const int fork_errno = errno;
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  ::close(error_pipe[1]);
  if (pid_ < 0) {
    ::close(error_pipe[0]);
    throw std::system_error(fork_errno, std::generic_category(), "fork");
  }
  // Set the group from both sides so kill(-pid) works as soon as the constructor returns.
  ::setpgid(pid_, pid_);

  // Closed by exec (CLOEXEC): 0 bytes means the program is running.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (n > 0) {
    reap(true);
    throw std::runtime_error("cannot start " + program_ + ": " + std::strerror(child_errno));
  }
}

process::~process() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool process::reap(bool block) {
  if (exit_code_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) {
    exit_code_ = -1;  // not our child any more; should not happen
    return true;
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return true;
}

bool process::running() { return !reap(false); }

std::optional<int> process::wait(std::chrono::milliseconds timeout) {
  wait_for([this] { return reap(false); }, timeout);
  return exit_code_;
}

int process::terminate(int signal, std::chrono::milliseconds grace) {
  if (running()) {
    ::kill(-pid_, signal);
    if (!wait(grace)) {
      ::kill(-pid_, SIGKILL);
      reap(true);
    }
  }
  return *exit_code_;
}

void process::send_signal(int signal) const {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signal);
}

std::filesystem::path process::stdout_path() const { return logs_.dir / (logs_.name + ".stdout"); }
std::filesystem::path process::stderr_path() const { return logs_.dir / (logs_.name + ".stderr"); }
std::string process::stdout_text() const { return read_text_file(stdout_path()); }
std::string process::stderr_text() const { return read_text_file(stderr_path()); }

std::string process::describe(std::size_t tail_bytes) const {
  std::string text = program_ + " (pid " + std::to_string(pid_) + ", " +
                     (exit_code_ ? "exit " + std::to_string(*exit_code_) : "running") + ")";
  std::string err = stderr_text();
  if (err.size() > tail_bytes) err = "..." + err.substr(err.size() - tail_bytes);
  std::string out = stdout_text();
  if (out.size() > tail_bytes) out = "..." + out.substr(out.size() - tail_bytes);
  if (!err.empty()) text += "\n--- stderr:\n" + err;
  if (!out.empty()) text += "\n--- stdout:\n" + out;
  return text;
}

}  // namespace almagate::test
