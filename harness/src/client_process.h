// An external client under test as a child process: started in a process group of its own (so
// that a shell's children stop with it), its stdout and stderr captured, stopped with SIGTERM
// and, after a grace period, SIGKILL. Nothing here waits without a bound.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::harness {

struct ProcessLaunch {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  // Set in the child's environment on top of the runner's (the last of a name wins).
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // empty: the runner's
};

// How a process ended.
struct ProcessExit {
  int code = -1;   // exit status, or -1 when a signal ended it
  int signal = 0;  // the signal that ended it, or 0
  std::string Describe() const;  // "exited with status 1", "ended by SIGTERM"
};

// Thread-safe. The destructor kills the process group if it still runs and joins every thread.
class ClientProcess {
 public:
  // Output kept of each stream: the last this many bytes (the start is dropped and counted).
  static constexpr size_t kMaxCapture = 64 * 1024;

  // `on_exit` runs on a helper thread when the process ends, however it ends. Fails when the
  // program cannot be started: not found, not executable, a bad working directory.
  static Result<std::unique_ptr<ClientProcess>> Start(const ProcessLaunch& launch,
                                                      std::function<void()> on_exit);
  ~ClientProcess();
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Set once the process has ended.
  std::optional<ProcessExit> exit() const;

  struct StopResult {
    ProcessExit exit;
    bool ended_before = false;     // it had ended by itself before the stop
    bool ignored_sigterm = false;  // still running `grace` after SIGTERM: killed with SIGKILL
  };
  // SIGTERM to the process group, SIGKILL after `grace` (wall time), then what the streams
  // still hold is read (briefly). Call once.
  StopResult Stop(std::chrono::milliseconds grace);

  // What it wrote, the last kMaxCapture bytes of each, with a note of what was dropped.
  std::string out() const;
  std::string err() const;

 private:
  ClientProcess() = default;
  void Watch();
  void Pump();
  static void Append(std::string& buffer, size_t& dropped, const char* data, size_t size);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: tells Pump() to finish
  std::function<void()> on_exit_;
  mutable std::mutex mu_;
  std::condition_variable ended_;
  std::optional<ProcessExit> exit_;
  std::string out_, err_;
  size_t out_dropped_ = 0, err_dropped_ = 0;
  bool stopped_ = false;
  std::thread watcher_;
  std::thread pump_;
};

// When libfaketime started a child's clock: the instant its clock counts from, which can come
// a second after the process was started on a busy machine (two simulated minutes at x120).
// libfaketime 0.9.x makes a shared memory object /dev/shm/faketime_shm_<pid> as it starts in a
// process and writes that instant into it (bytes 16-31: a timespec, after two 64-bit counters;
// tv_nsec -1 until written). Read only, and only believed when it falls between the process's
// start and now, so that another layout is never mistaken for an instant. Watches /dev/shm
// from construction, so make it before the child.
class ClockStartWatch {
 public:
  // How long Wait() waits at most (wall time).
  static constexpr std::chrono::seconds kMaxWait{10};

  ClockStartWatch();
  ~ClockStartWatch();
  ClockStartWatch(const ClockStartWatch&) = delete;
  ClockStartWatch& operator=(const ClockStartWatch&) = delete;

  // The instant the clock of process `pid` (started at `spawned` by `wall`, the real clock the
  // child runs against) counts from; nothing when it cannot be read within kMaxWait, or
  // `ended()` turns true first.
  std::optional<TimePoint> Wait(pid_t pid, TimePoint spawned, const Clock& wall,
                                const std::function<bool()>& ended);
  static std::string Name(pid_t pid);  // "/dev/shm/faketime_shm_<pid>"

 private:
  int inotify_fd_ = -1;
};

}  // namespace gcsim::harness
