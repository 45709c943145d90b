// A real child process for integration tests: started with arguments and
// extra environment, its stdout and stderr read line by line, and always
// stopped (SIGTERM, then SIGKILL) when the object goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace wzp::test {

class ChildProcess {
 public:
  ChildProcess(const std::filesystem::path &program, std::vector<std::string> args,
               std::map<std::string, std::string> extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  // Waits until a line of output matches; returns it, or nullopt on timeout
  // or when the process ends first.
  std::optional<std::string> wait_for_line(const std::regex &pattern,
                                           std::chrono::milliseconds timeout);
  // Waits until `count` lines from line number `from` on match (e.g. a
  // once-a-second status line reporting a state for that many seconds);
  // false on timeout or when the process ends first.
  bool wait_for_lines(const std::regex &pattern, size_t count, size_t from,
                      std::chrono::milliseconds timeout);
  // How many lines of output have arrived so far.
  size_t line_count() const;
  // Sends a signal; stop() sends SIGTERM and waits, escalating to SIGKILL.
  void signal(int sig);
  // Returns the exit status as from waitpid (use WIFEXITED etc.).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Waits until the process's output is closed (it exited, or closed
  // stdout and stderr); true if it was within the timeout.
  bool wait_output_closed(std::chrono::milliseconds timeout);
  std::vector<std::string> lines() const;
  pid_t pid() const { return pid_; }

 private:
  void read_output(int fd);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool output_closed_ = false;
};

}  // namespace wzp::test
