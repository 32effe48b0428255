// Child processes for tests that run gcsim's binaries as a user would.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace gcsim::testing {

struct Child {
  pid_t pid = -1;
  int out = -1;  // the child's stdout
  int err = -1;  // the child's stderr
};

// Starts `binary args...` with its stdout and stderr on pipes.
inline Child Spawn(const std::string& binary, const std::vector<std::string>& args) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  Child child;
  if (posix_spawn(&child.pid, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    child.pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  child.out = out[0];
  child.err = err[0];
  return child;
}

inline std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

inline std::string ReadAll(int fd) {
  std::string text;
  char buffer[1024];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

// Waits for the child and returns its exit status, or -1 when it did not exit normally.
inline int Wait(Child& child) {
  int status = 0;
  waitpid(child.pid, &status, 0);
  close(child.out);
  close(child.err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Waits at most `limit` for the child to exit: its exit status (-1 when killed by a signal),
// or nullopt when it was still running (it is then killed, so that no test leaves it behind).
inline std::optional<int> WaitAtMost(Child& child, std::chrono::seconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(child.pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(child.pid, SIGKILL);
      Wait(child);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  close(child.out);
  close(child.err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace gcsim::testing
