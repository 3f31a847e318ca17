// fork + exec of our own binary, with the child tied to the parent's lifetime.
#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <algorithm>

#include "core/interrupt.h"

namespace bb {

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

pid_t spawn(const std::string& exe, const std::vector<std::string>& args, const SpawnOptions& opt) {
  std::vector<std::string> all{exe};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (opt.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    // No child reads the caller's terminal: stdin is /dev/null.
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in >= 0) dup2(in, 0);
    int fd = opt.stdout_fd;
    if (!opt.stdout_path.empty()) fd = open(opt.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) dup2(fd, 1);
    if (fd >= 0 && opt.stderr_too) dup2(fd, 2);
    signal(SIGINT, SIG_IGN);  // Ctrl-C goes to the driver, which stops us in order
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

static ExitStatus decode(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) s.code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
    s.code = 128 + s.signal;
  }
  return s;
}

std::string how_it_ended(const ExitStatus& ex) {
  if (!ex.signal) return "exited with code " + std::to_string(ex.code);
  const char* name = sigabbrev_np(ex.signal);
  return "was killed by signal " + std::to_string(ex.signal) + (name ? std::string(" (SIG") + name + ")" : "");
}

std::optional<ExitStatus> try_wait(pid_t pid) {
  int st = 0;
  pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == pid) return decode(st);
  if (r < 0 && errno == ECHILD) return ExitStatus{127, 0};
  return std::nullopt;
}

ExitStatus wait_for(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return ExitStatus{127, 0};
  }
  return decode(st);
}

namespace {
// The child of the running run_capture (one at a time per process; 0: none).
volatile sig_atomic_t g_capture_child = 0;
}  // namespace

void kill_capture_child() noexcept {
  const pid_t c = pid_t(g_capture_child);
  if (c <= 0) return;
  kill(c, SIGKILL);
  while (waitpid(c, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Captured run_capture(const std::string& exe, const std::vector<std::string>& args, size_t max_bytes) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  pid_t pid;
  try {
    pid = spawn(exe, args, {.stdout_path = {}, .stdout_fd = fds[1], .stderr_too = true});
  } catch (...) {
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  close(fds[1]);
  g_capture_child = pid;
  struct Forget {
    ~Forget() { g_capture_child = 0; }
  } forget;
  Captured c;
  char buf[4096];
  while (true) {
    // Polled, so an interrupt of the driver is seen within 100 ms even while
    // the child says nothing: the child is killed and the interrupt goes on.
    pollfd p{fds[0], POLLIN, 0};
    if (g_interrupted) {
      close(fds[0]);
      kill_and_wait(pid);
      throw Interrupted();
    }
    if (poll(&p, 1, 100) == 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c.output.size() < max_bytes) c.output.append(buf, std::min(size_t(n), max_bytes - c.output.size()));
  }
  close(fds[0]);
  c.status = wait_for(pid);
  return c;
}

bool process_gone(pid_t pid) { return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH; }

ExitStatus kill_and_wait(pid_t pid) {
  // kill(-1) would signal every process we may signal, kill(0) our own group:
  // a pid already reaped (-1) or never started (0) is nothing to kill.
  if (pid <= 0) return ExitStatus{127, 0};
  kill(pid, SIGKILL);
  return wait_for(pid);
}

}  // namespace bb
