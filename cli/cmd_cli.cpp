// Parsing and dispatch, with the exit-code contract: 0 success, 1 a finding,
// 2 bad usage or input (one line naming the problem), 3 internal failure. Also
// what a newcomer meets first: usage, `help`, `--version`, "did you mean".
#include <fmt/format.h>

#include <algorithm>

#include "bb_build_info.h"
#include "cli/commands.h"
#include "core/errors.h"
#include "core/context.h"

namespace bb {

namespace {

std::string g_command_line;

// An error is one line whatever it quotes: a value with a newline or another
// control character in it (a scenario's multi-line string) is shown escaped.
std::string one_line(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += char(c);
  }
  return out;
}

void add_commands(CLI::App& app, Action& action) {
  add_run_command(app, action);
  add_backup_command(app, action);
  add_validate_command(app, action);
  add_holders_command(app, action);
  add_list_command(app, action);
  add_report_command(app, action);
  add_compare_command(app, action);
  add_cache_command(app, action);
  add_worker_command(app, action);
  add_copy_command(app, action);
  add_merge_command(app, action);
  add_faultfs_command(app, action);
  add_skip_reason_command(app, action);
  add_sqlite_info_command(app, action);
}

// The commands a user sees (internal ones have an empty group).
std::vector<const CLI::App*> visible_commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

// Edit distance (insertions, deletions, substitutions, adjacent swaps).
size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The visible command closest to `word`, when it is close enough to be a typo
// (or `word` starts it).
std::string did_you_mean(const CLI::App& app, const std::string& word) {
  std::string best;
  size_t best_d = std::string::npos;
  for (auto* s : visible_commands(app)) {
    const std::string& name = s->get_name();
    size_t d = name.rfind(word, 0) == 0 && !word.empty() ? 1 : distance(word, name);
    if (d < best_d) best_d = d, best = name;
  }
  return best_d <= std::max<size_t>(1, std::min<size_t>(2, best.size() / 3)) ? best : "";
}

std::string usage(const CLI::App& app) {
  std::string out =
      "backup-bench: what happens when you back up a live SQLite database\n\n"
      "usage: backup-bench COMMAND [OPTIONS]   (backup-bench COMMAND --help for its options)\n\ncommands:\n";
  for (auto* s : visible_commands(app)) out += fmt::format("  {:<10} {}\n", s->get_name(), s->get_description());
  out += fmt::format("  {:<10} {}\n", "help", "this text, or a command's options (help COMMAND)");
  out += "\noptions:\n  --version  the tool's version and commit, and the SQLite library's version\n"
         "\nexit codes: 0 success; 1 a finding (validate: not OK; compare: a regression; run: a strategy expected "
         "to be\nsafe gave a snapshot that is not OK); 2 bad usage or input; 3 internal failure.\n"
         "\nStart with: scripts/run (a default run and its report), or backup-bench run --preset quick\n";
  return out;
}

std::string version_text() {
  std::string commit = BB_GIT_COMMIT;
  return fmt::format("backup-bench {}{}\nSQLite {} (the library loaded at run time)\n", BB_VERSION,
                     commit.empty() ? "" : " (git " + commit + ")", sqlite_version());
}

int unknown_command(const CLI::App& app, const std::string& word) {
  auto guess = did_you_mean(app, word);
  fmt::print(stderr, "backup-bench: unknown command '{}'{}\n\n{}", word,
             guess.empty() ? "" : fmt::format("; did you mean '{}'?", guess), usage(app));
  return 2;
}

}  // namespace

const std::string& command_line() { return g_command_line; }

int run_cli(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) g_command_line += (i ? " " : "") + std::string(argv[i]);
  CLI::App app{"backup-bench: what happens when you back up a live SQLite database", "backup-bench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return version_text(); }, "the tool's version and commit, and SQLite's");
  Action action;
  add_commands(app, action);
  // What CLI11 alone would answer with "A subcommand is required".
  if (argc < 2) {
    fmt::print(stderr, "{}", usage(app));
    return 2;
  }
  const std::string first = argv[1];
  if (first == "help" || first == "--help" || first == "-h") {
    if (argc == 2) {
      fmt::print("{}", usage(app));
      return 0;
    }
    const std::string topic = argv[2];
    bool known = false;
    for (auto* s : visible_commands(app)) known |= s->get_name() == topic;
    if (!known) return unknown_command(app, topic);
    // `help run` is `run --help`.
    static std::string help_flag = "--help";
    argv[1] = argv[2];
    argv[2] = help_flag.data();
    argc = 3;
  }
  if (first != "help" && (first.empty() || first[0] != '-')) {
    bool known = false;
    const CLI::App& all = app;
    for (auto* s : all.get_subcommands([](const CLI::App*) { return true; })) known |= s->get_name() == first;
    if (!known) return unknown_command(app, first);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    fmt::print("{}", e.what());
    return 0;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "backup-bench: {}\n", one_line(e.what()));
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const UsageError& e) {
    fmt::print(stderr, "backup-bench: {}\n", one_line(e.what()));
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "backup-bench: internal error: {}\n", e.what());
    return 3;
  }
}

}  // namespace bb
