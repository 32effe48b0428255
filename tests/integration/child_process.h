// Child processes for tests that run gcsim's binaries as a user would.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
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
  // This thread blocks until the child exits, with no polling; a watchdog kills it at the limit.
  // WNOWAIT leaves the exited child unreaped until the watchdog is done, so the watchdog can
  // never signal a pid the system has given to another process.
  std::mutex mu;
  std::condition_variable exited;
  bool done = false;
  bool killed = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!exited.wait_for(lock, limit, [&] { return done; })) {
      kill(child.pid, SIGKILL);
      killed = true;
    }
  });
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOWAIT) != 0 &&
         errno == EINTR) {
  }
  {
    std::lock_guard lock(mu);
    done = true;
  }
  exited.notify_all();
  watchdog.join();
  const int status = Wait(child);
  if (killed) return std::nullopt;
  return status;
}

}  // namespace gcsim::testing
