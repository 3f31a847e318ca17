// `run`'s console: trial lines, the summary table, console.log and the
// progress file.
#include "driver/console.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include "results/continuous.h"
#include "results/files.h"

namespace bb {

RunConsole::RunConsole(const std::string& run_dir, size_t trials)
    : dir_(run_dir),
      trials_(trials),
      tty_(isatty(2)),
      log_(std::fopen((run_dir + "/console.log").c_str(), "w")),
      progress_fd_(open((run_dir + "/progress").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {}

RunConsole::~RunConsole() {
  if (log_) std::fclose(log_);
  if (progress_fd_ >= 0) close(progress_fd_);
}

void RunConsole::say(std::FILE* to, const std::string& text) {
  fmt::print(to, "{}{}", to == stderr && tty_ ? "\r\033[K" : "", text);
  if (log_) fmt::print(log_, "{}", text), std::fflush(log_);
}

// The progress file holds one line, rewritten when the phase changes (not on
// every tick of its clock): "baseline 1.2s" is kept as "baseline".
void RunConsole::set_phase(std::string line) {
  if (auto sp = line.rfind(' '); sp != std::string::npos && line.size() > sp + 2 && line.back() == 's' &&
                                 line.find_first_not_of("0123456789.", sp + 1) == line.size() - 1)
    line.resize(sp);
  if (progress_fd_ < 0 || line == last_phase_) return;
  last_phase_ = line;
  line += '\n';
  if (ftruncate(progress_fd_, 0) == 0 && pwrite(progress_fd_, line.data(), line.size(), 0) < 0) return;
}

void RunConsole::started(const std::string& scenario, const RunRecord& r) {
  say(stderr, fmt::format("backup-bench {}: {} trials, run folder {}\n", scenario, trials_, dir_));
  if (auto& d = r.database; !d.is_null())
    say(stderr, fmt::format("database {}: {} bytes, page size {}, {} pages, {} tables, {} indices ({} mode; never "
                            "written: every trial runs on a copy)\n",
                            d["file"].get<std::string>(), d["bytes"].get<int64_t>(), d["page_size"].get<int64_t>(),
                            d["pages"].get<int64_t>(), d["tables"].get<int64_t>(), d["indices"].get<int64_t>(),
                            d["journal_mode"].get<std::string>()));
  if (auto& w = r.workload_file; !w.is_null())
    say(stderr, fmt::format("workload file {} (hash {})\n", w["name"].get<std::string>(), w["hash"].get<std::string>()));
}

void RunConsole::trial_started(size_t i, const Cell& c) {
  current_ = i;
  head_ = fmt::format("[{}/{}] {} {} db={}MB w={}{}{} r{}{}", i + 1, trials_, c.mode, c.strategy.label, c.db_mb,
                      c.writers, c.filesystem == "host" ? "" : " fs=" + c.filesystem,
                      c.sqlite == "system" ? "" : " sqlite=" + c.sqlite, c.repetition,
                      c.fault == "none" ? "" : " fault=" + c.fault);
}

std::string RunConsole::clock(size_t done) const {
  const double el = ns_to_s(now_ns() - started_);
  if (done == 0 || done == trials_) return fmt::format("{:.0f}s", el);
  return fmt::format("{:.0f}s, ~{:.0f}s left", el, el / double(done) * double(trials_ - done));
}

void RunConsole::progress(const std::string& what) {
  if (tty_) fmt::print(stderr, "\r\033[K{} ({}): {}", head_, clock(current_), what);
  set_phase(head_ + ": " + what);
}

void RunConsole::probe(const std::string& key, const ProbeResult& p) {
  say(stderr, fmt::format("capacity probe {}: {:.0f} tx/s closed loop -> {:.1f} tx/s per writer ({:.0f}%){}\n", key,
                          p.capacity_tx_s, p.writer_rate, 100 * p.utilisation,
                          p.ended_early.empty() ? "" : "; ended " + p.ended_early));
}

void RunConsole::harness_error(const std::string& what) {
  say(stderr, fmt::format("HARNESS ERROR in {}: {}\n", head_, what));
}

void RunConsole::disk_full(size_t done, const std::string& what) {
  say(stderr, fmt::format("ERROR: the disk is full ({}); stopping after {} of {} trials: {}\n", dir_, done, trials_,
                          what));
}

void RunConsole::trial_done(const nlohmann::json& t) {
  std::string unsteady_note;
  // A faulted trial is left out of writer figures anyway (docs/faults.md).
  if (t["harness_error"].is_null() && t["backup"]["status"] != "skipped" && !t["load"]["steady"].get<bool>() &&
      t["fault"].is_null()) {
    unsteady_.push_back(fmt::format("{}/{} r{}", t["mode"].get<std::string>(), t["label"].get<std::string>(),
                                    t["repetition"].get<int64_t>()));
    unsteady_note = ", UNSTEADY load: " + t["load"]["reason"].get<std::string>();
  }
  std::string verdicts;
  for (auto& b : t["backups"]) verdicts += (verdicts.empty() ? "" : ",") + b["verdict"]["status"].get<std::string>();
  say(stderr, fmt::format("{} ({}): backup {} {:.2f}s, verdict {}{}\n", head_, clock(current_ + 1),
                          t["backup"]["status"].get<std::string>(), t["backup"]["duration_s"].get<double>(), verdicts,
                          unsteady_note));
  // The application's own rules refused some transactions: named per kind.
  if (t.contains("workload_kinds") && t["workload_kinds"].is_object())
    for (auto& [kind, k] : t["workload_kinds"].items())
      if (k.value("constraint_errors", int64_t(0)) > 0)
        say(stderr, fmt::format("  writer kind '{}': {} transaction(s) rolled back by a constraint error ({} "
                                "committed); last: {}\n",
                                kind, k["constraint_errors"].get<int64_t>(), k.value("commits", int64_t(0)),
                                k["last_error"].is_string() ? k["last_error"].get<std::string>() : "?"));
}

void RunConsole::finished(const nlohmann::json& results, const RunEnding& e) {
  say(stdout, summary_table(results));
  say(stdout, continuous_table(results));
  say(stdout, fmt::format("\nresults: {}/results.json\n", dir_));
  if (!unsteady_.empty())
    say(stderr, fmt::format("WARNING: {} trial(s) had an unsteady load before the backup and are left out of writer "
                            "figures, comparisons and recommendations: {}\n",
                            unsteady_.size(), fmt::join(unsteady_, ", ")));
  if (log_) std::fclose(log_), log_ = nullptr;
  set_phase(e.disk_full ? "stopped: the disk is full" : e.interrupted ? "interrupted" : "finished");
}

void RunConsole::ending(const RunEnding& e) {
  if (e.disk_full) return;
  if (e.interrupted) {
    fmt::print(stderr, "interrupted: partial results written to {}\n", dir_);
    return;
  }
  if (e.finding) fmt::print(stderr, "FINDING: a strategy expected to be safe produced a snapshot that is not OK\n");
  if (e.harness_failed) fmt::print(stderr, "ERROR: trial(s) failed in the harness (see HARNESS ERROR above); exit 3\n");
}

}  // namespace bb
