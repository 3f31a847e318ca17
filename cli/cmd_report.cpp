// `backup-bench report`: charts, claims table and recommendations from one or
// more run folders (shards are merged), written by reports/report.py.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "cli/commands.h"
#include "core/errors.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has matplotlib

struct ReportFlags {
  std::vector<std::string> runs;
  std::string out;
};

// Beside the binary's source tree, or installed beside the binary, like scenarios/.
std::string reports_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  for (auto p : {exe.parent_path().parent_path() / "reports", exe.parent_path() / "reports"})
    if (!ec && fs::exists(p / "report.py")) return p.string();
  return std::string(BB_SOURCE_DIR) + "/reports";
}

int run(const ReportFlags& f) {
  for (auto& r : f.runs) {
    if (!fs::is_directory(r)) throw UsageError(fmt::format("run folder {} does not exist", r));
    if (!fs::exists(fs::path(r) / "results.json"))
      throw UsageError(fmt::format("{} holds no results.json (not a run folder)", r));
  }
  std::string out = f.out.empty() ? f.runs.front() : f.out;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out)) throw UsageError(fmt::format("cannot create --out {}", out));
  std::string script = reports_dir() + "/report.py";
  if (!fs::exists(script)) throw std::runtime_error(fmt::format("{} not found", script));
  if (access(kPython, X_OK) != 0)
    throw std::runtime_error(fmt::format("{} not found (install python3-matplotlib)", kPython));
  std::vector<std::string> args{kPython, script, "--out", out};
  args.insert(args.end(), f.runs.begin(), f.runs.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    execv(kPython, argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) throw std::runtime_error("report.py was killed");
  int code = WEXITSTATUS(status);
  if (code == 2) return 2;  // report.py printed the bad input
  if (code != 0) throw std::runtime_error(fmt::format("report.py exited with code {}", code));
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand("report", "write report.html with charts (PNG and SVG), claims and recommendations");
  cmd->add_option("RUN_DIR", f->runs, "run folder(s); several are merged (shards)")->required();
  cmd->add_option("--out", f->out, "output folder (default: the first RUN_DIR)");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
