#include "client_process.h"

#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "gcsim/harness/runner.h"

extern char** environ;

namespace gcsim::harness {
namespace {

// How long Stop() waits for the process to go after SIGKILL, and for output still on its way.
constexpr std::chrono::seconds kKillWait{10};
constexpr int kDrainMs = 500;
// Where libfaketime 0.9.x writes its clock's start in its shared memory object.
constexpr size_t kPageBytes = 4096;
constexpr size_t kStartOffset = 16;

std::string SignalName(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGKILL: return "SIGKILL";
    case SIGINT: return "SIGINT";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGPIPE: return "SIGPIPE";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

std::vector<std::string> Environment(const ProcessLaunch& launch) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t eq = text.find('=');
    if (eq != std::string::npos) vars[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& [name, value] : launch.env) vars[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

}  // namespace

std::string ProcessExit::Describe() const {
  if (signal != 0) return "ended by " + SignalName(signal);
  return "exited with status " + std::to_string(code);
}

Result<std::unique_ptr<ClientProcess>> ClientProcess::Start(const ProcessLaunch& launch,
                                                            std::function<void()> on_exit) {
  if (launch.argv.empty() || launch.argv[0].empty()) {
    return InvalidArgumentError("the client command is empty");
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return InternalError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return InternalError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!launch.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, launch.working_dir.c_str());
  }
  // Its own process group, so that SIGTERM reaches whatever it started; default signal
  // handling and no blocked signals, whatever the runner's are.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigemptyset(&defaults);
  for (int signal : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, signal);
  posix_spawnattr_setsigdefault(&attributes, &defaults);

  std::vector<std::string> argv_storage = launch.argv;
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = Environment(launch);
  std::vector<char*> envp;
  for (std::string& var : env_storage) envp.push_back(var.data());
  envp.push_back(nullptr);

  std::unique_ptr<ClientProcess> process(new ClientProcess());
  const int spawned = posix_spawnp(&process->pid_, launch.argv[0].c_str(), &actions, &attributes,
                                   argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out[1]);
  close(err[1]);
  if (spawned != 0) {
    // Nothing runs: the destructor must signal nothing (a pid of -1 would name every process).
    process->pid_ = -1;
    process->stopped_ = true;
    close(out[0]);
    close(err[0]);
    std::string why = std::strerror(spawned);
    if (spawned == ENOENT) {
      why = launch.argv[0].find('/') == std::string::npos
                ? "not found on PATH"
                : "no such file (or its working directory " +
                      (launch.working_dir.empty() ? std::string(".") : launch.working_dir) +
                      " does not exist)";
    } else if (spawned == EACCES) {
      why = "permission denied (not executable?)";
    }
    return FailedPreconditionError("the client command could not start: " + launch.argv[0] + ": " + why);
  }
  process->out_fd_ = out[0];
  process->err_fd_ = err[0];
  process->wake_fd_ = eventfd(0, EFD_CLOEXEC);
  process->on_exit_ = std::move(on_exit);
  process->watcher_ = std::thread([p = process.get()] { p->Watch(); });
  process->pump_ = std::thread([p = process.get()] { p->Pump(); });
  return process;
}

ClientProcess::~ClientProcess() {
  bool stopped;
  {
    std::lock_guard lock(mu_);
    stopped = stopped_;
  }
  if (!stopped) Stop(std::chrono::milliseconds(0));
  if (watcher_.joinable()) watcher_.join();
  if (pump_.joinable()) pump_.join();
  for (int fd : {out_fd_, err_fd_, wake_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void ClientProcess::Watch() {
  // Waits without reaping, so that the process group id stays reserved while what is left of
  // the group is killed: a client that ended must not leave children holding its pipes.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  kill(-pid_, SIGKILL);
  // libfaketime removes its shared objects at a normal exit only; those of a process that was
  // killed would stay in /dev/shm for good. Named by our child's pid, which is still reserved.
  const std::string id = std::to_string(pid_);
  shm_unlink(("/faketime_shm_" + id).c_str());
  sem_unlink(("/faketime_sem_" + id).c_str());
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  ProcessExit exit;
  if (WIFEXITED(status)) exit.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  {
    std::lock_guard lock(mu_);
    exit_ = exit;
  }
  ended_.notify_all();
  if (on_exit_) on_exit_();
}

void ClientProcess::Append(std::string& buffer, size_t& dropped, const char* data, size_t size) {
  buffer.append(data, size);
  if (buffer.size() > kMaxCapture) {
    const size_t cut = buffer.size() - kMaxCapture;
    dropped += cut;
    buffer.erase(0, cut);
  }
}

void ClientProcess::Pump() {
  std::vector<pollfd> fds = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int open_streams = 2;
  bool draining = false;
  char buffer[4096];
  while (open_streams > 0) {
    // Once told to finish, what is still coming gets a short while, not forever (a grandchild
    // that left the process group could hold a pipe open).
    const int ready = poll(fds.data(), fds.size(), draining ? kDrainMs : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    if (fds[2].revents != 0) {
      uint64_t value;
      [[maybe_unused]] const ssize_t n = read(wake_fd_, &value, sizeof value);
      draining = true;
      fds[2].fd = -1;
    }
    for (size_t i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        std::lock_guard lock(mu_);
        if (i == 0) Append(out_, out_dropped_, buffer, static_cast<size_t>(n));
        else Append(err_, err_dropped_, buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
}

ClientProcess::StopResult ClientProcess::Stop(std::chrono::milliseconds grace) {
  StopResult result;
  if (pid_ <= 0) return result;  // never started: there is no group to signal
  {
    std::unique_lock lock(mu_);
    stopped_ = true;
    result.ended_before = exit_.has_value();
    if (!exit_) {
      // The process is not reaped before exit_ is set (Watch), so its group id is still ours.
      kill(-pid_, SIGTERM);
      if (!ended_.wait_for(lock, grace, [this] { return exit_.has_value(); })) {
        result.ignored_sigterm = true;
        kill(-pid_, SIGKILL);
        ended_.wait_for(lock, kKillWait, [this] { return exit_.has_value(); });
      }
    }
    if (exit_) result.exit = *exit_;
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof one);
  if (pump_.joinable()) pump_.join();
  return result;
}

std::optional<ProcessExit> ClientProcess::exit() const {
  std::lock_guard lock(mu_);
  return exit_;
}

namespace {

// Appends rather than "literal" + std::string: g++ 12 warns falsely (-Wrestrict) on that in Release.
std::string WithDroppedCount(std::size_t dropped, const std::string& kept) {
  if (dropped == 0) return kept;
  std::string text = "(";
  text += std::to_string(dropped);
  text += " earlier bytes dropped)\n";
  text += kept;
  return text;
}

}  // namespace

std::string ClientProcess::out() const {
  std::lock_guard lock(mu_);
  return WithDroppedCount(out_dropped_, out_);
}

std::string ClientProcess::err() const {
  std::lock_guard lock(mu_);
  return WithDroppedCount(err_dropped_, err_);
}

ClockStartWatch::ClockStartWatch() {
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ >= 0) inotify_add_watch(inotify_fd_, "/dev/shm", IN_CREATE);
}

ClockStartWatch::~ClockStartWatch() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
}

std::string ClockStartWatch::Name(pid_t pid) { return "/dev/shm/faketime_shm_" + std::to_string(pid); }

std::optional<TimePoint> ClockStartWatch::Wait(pid_t pid, TimePoint spawned, const Clock& wall,
                                               const std::function<bool()>& ended) {
  const std::string name = Name(pid);
  const TimePoint deadline = wall.Now() + kMaxWait;
  int fd = -1;
  void* shared = MAP_FAILED;
  std::optional<TimePoint> start;
  while (!start && !ended() && wall.Now() < deadline) {
    if (fd < 0) fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info {};
    if (fd >= 0 && shared == MAP_FAILED && fstat(fd, &info) == 0 && info.st_size > 0) {
      // The object is 8 bytes long and the instant is written past its end, in the same page:
      // readable once the object has a size (a page wholly past the end would fault).
      shared = mmap(nullptr, kPageBytes, PROT_READ, MAP_SHARED, fd, 0);
    }
    if (shared != MAP_FAILED) {
      timespec written{};
      std::memcpy(&written, static_cast<const char*>(shared) + kStartOffset, sizeof written);
      if (written.tv_nsec >= 0 && written.tv_nsec < 1'000'000'000 && written.tv_sec > 0) {
        const TimePoint at(std::chrono::duration_cast<Duration>(
            std::chrono::seconds(written.tv_sec) + std::chrono::nanoseconds(written.tv_nsec)));
        // Only an instant between the process's start and now is one.
        if (at + std::chrono::seconds(1) < spawned || at > wall.Now()) {
          break;
        }
        start = at;
        break;
      }
    }
    // Woken by files made in /dev/shm; the instant itself is polled every millisecond.
    pollfd watch{inotify_fd_, POLLIN, 0};
    if (poll(&watch, inotify_fd_ >= 0 && fd < 0 ? 1 : 0, fd < 0 ? 5 : 1) > 0) {
      char events[4096];
      while (read(inotify_fd_, events, sizeof events) > 0) {
      }
    }
  }
  if (shared != MAP_FAILED) munmap(shared, kPageBytes);
  if (fd >= 0) close(fd);
  return start;
}

Result<std::string> FindLibfaketime() {
  if (const char* given = std::getenv("GCSIM_LIBFAKETIME"); given != nullptr && *given != '\0') {
    if (access(given, R_OK) == 0) return std::string(given);
    return NotFoundError(std::string("GCSIM_LIBFAKETIME=") + given + ": no such readable file");
  }
  // Debian and Ubuntu put it under the multiarch folder; a build from source, under /usr/local.
  for (const char* pattern : {"/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
                              "/usr/lib64/faketime/libfaketime.so.1",
                              "/usr/local/lib/faketime/libfaketime.so.1"}) {
    glob_t found{};
    const bool hit = glob(pattern, 0, nullptr, &found) == 0 && found.gl_pathc > 0;
    const std::string path = hit ? found.gl_pathv[0] : "";
    globfree(&found);
    if (hit) return path;
  }
  return NotFoundError(
      "libfaketime is not installed: an external client needs it to keep the simulator's time "
      "(apt-get install faketime libfaketime, as scripts/setup does; or set GCSIM_LIBFAKETIME "
      "to its libfaketime.so.1)");
}

}  // namespace gcsim::harness
