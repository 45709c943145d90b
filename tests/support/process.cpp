#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

extern char **environ;

namespace wzp::test {

ChildProcess::ChildProcess(const std::filesystem::path &program, std::vector<std::string> args,
                           std::map<std::string, std::string> extra_env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");

  std::vector<std::string> env_strings;
  for (char **e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto key = entry.substr(0, entry.find('='));
    if (!extra_env.contains(key)) env_strings.push_back(entry);
  }
  for (const auto &[key, value] : extra_env) env_strings.push_back(key + "=" + value);

  std::vector<std::string> argv_strings{program.string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char *> argv, envp;
  for (auto &s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto &s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    std::fprintf(stderr, "execve %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  reader_ = std::thread([this, fd = pipe_fds[0]] { read_output(fd); });
}

ChildProcess::~ChildProcess() {
  stop();
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::read_output(int fd) {
  std::string partial;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t pos;
    while ((pos = partial.find('\n')) != std::string::npos) {
      std::lock_guard lock(mutex_);
      lines_.push_back(partial.substr(0, pos));
      partial.erase(0, pos + 1);
      changed_.notify_all();
    }
  }
  close(fd);
  std::lock_guard lock(mutex_);
  if (!partial.empty()) lines_.push_back(partial);
  output_closed_ = true;
  changed_.notify_all();
}

std::optional<std::string> ChildProcess::wait_for_line(const std::regex &pattern,
                                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  size_t checked = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (; checked < lines_.size(); ++checked) {
      if (std::regex_search(lines_[checked], pattern)) return lines_[checked];
    }
    if (output_closed_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

bool ChildProcess::wait_for_lines(const std::regex &pattern, size_t count, size_t from,
                                  std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  size_t checked = from, matched = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (; checked < lines_.size(); ++checked) {
      if (std::regex_search(lines_[checked], pattern) && ++matched == count) return true;
    }
    if (output_closed_) return false;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return false;
  }
}

size_t ChildProcess::line_count() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !status_) kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = status;
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (!status_) {
    kill(pid_, SIGTERM);
    if (!wait_exit(grace)) {
      kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(5));
    }
  }
  return status_.value_or(-1);
}

bool ChildProcess::wait_output_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return output_closed_; });
}

std::vector<std::string> ChildProcess::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

}  // namespace wzp::test
