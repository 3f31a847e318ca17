// `backup-bench cache`: where the template databases are, what is in it, and
// clearing it (databases/templates.h).
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "databases/templates.h"

namespace bb {
namespace {

int cache(const std::string& what) {
  const std::string dir = template_cache_dir();
  if (what == "path") {
    fmt::print("{}\n", dir);
  } else if (what == "list") {
    std::error_code ec;
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (!e.is_regular_file() || e.path().extension() != ".sqlite") continue;
      const auto built = template_build_seconds(e.path().string());
      fmt::print("{:>10.1f} MB  {}{}\n", double(e.file_size()) / 1e6, e.path().filename().string(),
                 built ? fmt::format("  (built in {:.1f} s)", *built) : std::string());
      ++n;
    }
    if (n == 0) fmt::print("no templates in {}\n", dir);
  } else {
    int n = clear_template_cache();
    fmt::print("removed {} template(s) from {}\n", n, dir);
  }
  return 0;
}

}  // namespace

void add_cache_command(CLI::App& app, Action& action) {
  auto what = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("cache", "the template database cache: path, list, clear");
  cmd->add_option("WHAT", *what, "path|list|clear")->required()->check(CLI::IsMember({"path", "list", "clear"}));
  cmd->callback([what, &action] { action = [what] { return cache(*what); }; });
}

}  // namespace bb
