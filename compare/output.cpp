// The comparison as text (the console), Markdown (a CI job summary), JUnit XML
// (CI test reports) and JSON. Every form states the rules and the correction.
#include <fmt/format.h>

#include <cmath>

#include "compare/gate.h"
#include "validation/validator.h"

namespace bb {
namespace {

std::string verdicts_str(const std::map<std::string, int>& v) {
  std::string s;
  for (auto& [k, n] : v) s += fmt::format("{}{}={}", s.empty() ? "" : " ", k, n);
  return s.empty() ? "-" : s;
}

std::string num(double v) { return fmt::format("{:.4g}", v); }

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:+.1f}%", v) : "new"; }

std::string metric_result(const MetricDelta& m, double alpha, bool load_differs) {
  if (m.regression) return "REGRESSION";
  if (load_differs) return "not judged: load differs";
  if (m.worse) return m.test.in_family ? "worse, not confirmed" : "worse, cannot be confirmed";
  const double good = m.lower_is_better ? -m.change : m.change;
  if (good > m.needed && m.test.q && m.test.significant(alpha)) return "better";
  return "ok";
}

std::string q_text(const GateTest& t) { return t.q ? fmt::format("{:.4f}", *t.q) : "-"; }
std::string p_text(const GateTest& t) { return t.run ? fmt::format("{:.4f}", t.p) : "-"; }

std::string verdict_result(const CellDelta& c) {
  if (!c.new_wrong.empty()) {
    std::string s = "REGRESSION: new";
    for (auto& w : c.new_wrong) s += " " + w;
    return s;
  }
  if (c.wrong && c.wrong->regression) return "REGRESSION: more wrong snapshots";
  if (!c.expected_safe)
    for (auto& [k, n] : c.cur_verdicts)
      if (n > 0 && wrong_snapshot(nlohmann::json(k).get<VerdictStatus>()))
        return "ok (expected: not a safe strategy here)";
  return "ok";
}

std::string rules_text(const Comparison& c) {
  return fmt::format(
      "a new CORRUPT/INCONSISTENT/STALE of a strategy expected to be safe fails at once; more failed or timed-out "
      "backups need Fisher's exact test; a metric needs its median to move the bad way by more than it can resolve "
      "(the largest of {}% of the baseline median, an absolute floor, the baseline's spread between repetitions "
      "and, for stalls and delays, one writer period: values below it count as it) and a one-sided Mann-Whitney U "
      "test. {} test(s), {} correction: false-alarm rate {} over the whole comparison.",
      c.opts.threshold_pct, c.family, correction_name(c.opts.correction), c.opts.alpha);
}

std::string status_word(const Comparison& c, bool strict) {
  switch (c.exit_code(strict)) {
    case 0: return "no regression";
    case 1: return fmt::format("{} regression(s)", c.findings().size());
    default: return c.cells.empty() ? "not comparable: no cell in common" : "not comparable (--strict: warnings)";
  }
}

// Words filled to `width` columns; lines after the first start with `indent`.
std::string wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    pos = sp == std::string::npos ? text.size() : sp + 1;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    } else if (!line.empty() && line != indent) {
      line += ' ';
    }
    line += word;
  }
  return out + line;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline and return.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') out += ' ';
        else out += ch;
    }
  }
  return out;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|' || ch == '*' || ch == '_' || ch == '`' || ch == '<' || ch == '>') out += '\\';
    out += ch == '\n' ? ' ' : ch;
  }
  return out;
}

}  // namespace

std::string format_comparison(const Comparison& c, bool strict) {
  std::string out = fmt::format("compare   baseline {} (SQLite {})\n          current  {} (SQLite {})\n",
                                c.base_path, c.base_sqlite, c.cur_path, c.cur_sqlite);
  out += wrap("rules     " + rules_text(c), 110, "          ") + "\n\n";
  if (!c.cells.empty()) {
    out += fmt::format("{:<34} {:<18} {:>12} {:>12} {:>8} {:>22} {:>7} {:>7}  {}\n", "cell", "check", "baseline",
                       "current", "change", "needed", "p", "q", "result");
    for (auto& cell : c.cells) {
      out += fmt::format("{:<34} {:<18} {:>12} {:>12} {:>8} {:>22} {:>7} {:>7}  {}\n", cell.key, "verdicts",
                         verdicts_str(cell.base_verdicts), verdicts_str(cell.cur_verdicts), "", "", "", "",
                         verdict_result(cell));
      if (cell.wrong)
        out += fmt::format("{:<34} {:<18} {:>12} {:>12} {:>8} {:>22} {:>7} {:>7}  {}\n", cell.key, "wrong snapshots",
                           fmt::format("{}/{}", cell.wrong->base_events, cell.wrong->base_n),
                           fmt::format("{}/{}", cell.wrong->cur_events, cell.wrong->cur_n), "", "Fisher",
                           p_text(cell.wrong->test), q_text(cell.wrong->test),
                           cell.wrong->regression ? "REGRESSION" : "ok");
      auto& f = cell.failures;
      if (f.base_events + f.cur_events > 0)
        out += fmt::format("{:<34} {:<18} {:>12} {:>12} {:>8} {:>22} {:>7} {:>7}  {}\n", cell.key, "failed/timeout",
                           fmt::format("{}/{}", f.base_events, f.base_n), fmt::format("{}/{}", f.cur_events, f.cur_n),
                           "", "Fisher", p_text(f.test), q_text(f.test),
                           f.regression ? "REGRESSION"
                           : cell.load_differs ? "not judged: load differs"
                           : f.test.in_family  ? "ok"
                                               : "ok (too few to tell)");
      for (auto& m : cell.metrics)
        out += fmt::format("{:<34} {:<18} {:>12} {:>12} {:>8} {:>22} {:>7} {:>7}  {}\n", cell.key, m.name,
                           num(m.base_median), num(m.cur_median), pct(m.change_pct),
                           fmt::format("{} {}", num(m.needed), m.needed_by), p_text(m.test), q_text(m.test),
                           metric_result(m, c.opts.alpha, cell.load_differs));
    }
    out += "\n" +
           wrap(fmt::format("(values: medians over the repetitions that count; p: one-sided, the bad direction; q: "
                            "adjusted by {}; '-': not in the family, it cannot reach {})",
                            correction_name(c.opts.correction), c.opts.alpha),
                110, " ") +
           "\n";
  }
  if (!c.warnings.empty()) out += "\n";
  for (auto& w : c.warnings)
    out += wrap(fmt::format("WARNING: {}{}", w, strict ? " (--strict)" : ""), 110, "         ") + "\n";
  if (!c.notes.empty()) out += "\n";
  for (auto& n : c.notes) out += wrap("note: " + n, 110, "      ") + "\n";
  auto findings = c.findings();
  out += fmt::format("\nresult: {}\n", status_word(c, strict));
  for (auto& f : findings) out += "  " + f + "\n";
  return out;
}

std::string markdown_comparison(const Comparison& c, bool strict) {
  const int code = c.exit_code(strict);
  const char* mark = code == 0 ? "✅" : code == 1 ? "❌" : "⚠️";
  std::string out = fmt::format("### {} backup-bench compare: {}\n\n", mark, status_word(c, strict));
  out += fmt::format("Baseline `{}` (SQLite {}) · current `{}` (SQLite {}) · {} cell(s) compared · {} test(s), {} "
                     "correction, false-alarm rate {} · exit code {}\n\n",
                     md_escape(c.base_path), c.base_sqlite, md_escape(c.cur_path), c.cur_sqlite, c.cells.size(),
                     c.family, correction_name(c.opts.correction), c.opts.alpha, code);
  auto findings = c.findings();
  if (!findings.empty()) {
    out += "**Regressions**\n\n";
    for (auto& f : findings) out += "- " + md_escape(f) + "\n";
    out += "\n";
  }
  if (!c.warnings.empty()) {
    out += fmt::format("**Warnings**{}\n\n", strict ? " (`--strict`: exit 2)" : "");
    for (auto& w : c.warnings) out += "- " + md_escape(w) + "\n";
    out += "\n";
  }
  if (!c.cells.empty()) {
    out += "| cell | verdicts (baseline → current) | failed/timeout | max stall ms | delayed extra ms | writer p99 ms "
           "| backup s | result |\n|---|---|---|---|---|---|---|---|\n";
    for (auto& cell : c.cells) {
      auto metric = [&](const char* name) -> std::string {
        for (auto& m : cell.metrics)
          if (m.name == name)
            return fmt::format("{} → {} ({}){}", num(m.base_median), num(m.cur_median), pct(m.change_pct),
                               m.regression ? " **regression**" : "");
        return "–";
      };
      auto& f = cell.failures;
      std::string result = cell.regression() ? "❌ regression" : "✅ ok";
      out += fmt::format("| {} | {} → {} | {}/{} → {}/{} | {} | {} | {} | {} | {} |\n", md_escape(cell.key),
                         verdicts_str(cell.base_verdicts), verdicts_str(cell.cur_verdicts), f.base_events, f.base_n,
                         f.cur_events, f.cur_n, metric("max_stall_ms"), metric("delayed_extra_ms"),
                         metric("during_p99_ms"), metric("backup_duration_s"), result);
    }
    out += "\n";
  }
  if (!c.notes.empty()) {
    for (auto& n : c.notes) out += "- " + md_escape(n) + "\n";
    out += "\n";
  }
  out += "<sub>" + md_escape(rules_text(c)) + "</sub>\n";
  return out;
}

std::string junit_comparison(const Comparison& c, bool strict) {
  // One test case per compared cell, one for the comparison itself, and a
  // skipped case per cell found on one side only.
  const int code = c.exit_code(strict);
  int failures = 0, errors = code == 2 ? 1 : 0;
  for (auto& cell : c.cells) failures += cell.regression() ? 1 : 0;
  const size_t skipped = c.only_base.size() + c.only_cur.size();
  const size_t tests = c.cells.size() + skipped + 1;
  std::string body;
  std::string sys_out;
  for (auto& w : c.warnings) sys_out += "WARNING: " + w + "\n";
  for (auto& n : c.notes) sys_out += "note: " + n + "\n";
  body += "    <testcase classname=\"compare\" name=\"comparable runs\">\n";
  if (code == 2)
    body += fmt::format("      <error message=\"{}\"/>\n",
                        xml_escape(c.cells.empty() ? no_common_cell_line(c) : "--strict: the runs differ (warnings)"));
  body += fmt::format("      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(rules_text(c) + "\n" + sys_out));
  for (auto& cell : c.cells) {
    body += fmt::format("    <testcase classname=\"compare.{}\" name=\"{}\">\n", xml_escape(cell.mode),
                        xml_escape(cell.key));
    auto f = cell.findings();
    if (!f.empty()) {
      std::string text;
      for (auto& line : f) text += line + "\n";
      body += fmt::format("      <failure message=\"{}\" type=\"regression\">{}</failure>\n", xml_escape(f[0]),
                          xml_escape(text));
    }
    std::string detail = fmt::format("verdicts {} -> {}\n", verdicts_str(cell.base_verdicts),
                                     verdicts_str(cell.cur_verdicts));
    for (auto& m : cell.metrics)
      detail += fmt::format("{} {} -> {} ({}), needed {} ({}), p {}, q {}\n", m.name, num(m.base_median),
                            num(m.cur_median), pct(m.change_pct), num(m.needed), m.needed_by, p_text(m.test),
                            q_text(m.test));
    body += fmt::format("      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(detail));
  }
  for (int side = 0; side < 2; ++side)
    for (auto& k : side ? c.only_cur : c.only_base)
      body += fmt::format("    <testcase classname=\"compare\" name=\"{}\">\n      <skipped message=\"only in the {} "
                          "run\"/>\n    </testcase>\n",
                          xml_escape(k), side ? "current" : "baseline");
  std::string head = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"backup-bench compare\" tests=\"{}\" "
      "failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n  <testsuite name=\"backup-bench compare\" tests=\"{}\" "
      "failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n    <properties>\n",
      tests, failures, errors, skipped, tests, failures, errors, skipped);
  for (auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"baseline", c.base_path},
           {"current", c.cur_path},
           {"correction", correction_name(c.opts.correction)},
           {"alpha", fmt::format("{}", c.opts.alpha)},
           {"tests", fmt::format("{}", c.family)},
           {"exit_code", fmt::format("{}", code)}})
    head += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", k, xml_escape(v));
  head += "    </properties>\n";
  return head + body + "  </testsuite>\n</testsuites>\n";
}

nlohmann::json to_json(const Comparison& c, bool strict) {
  auto test_json = [](const GateTest& t) -> nlohmann::json {
    if (!t.run) return nullptr;
    return {{"p", t.p}, {"min_p", t.min_p}, {"in_family", t.in_family},
            {"q", t.q ? nlohmann::json(*t.q) : nlohmann::json(nullptr)}};
  };
  auto count_json = [&](const CountDelta& d) -> nlohmann::json {
    return {{"baseline", {{"events", d.base_events}, {"trials", d.base_n}}},
            {"current", {{"events", d.cur_events}, {"trials", d.cur_n}}},
            {"fisher", test_json(d.test)},
            {"note", d.note},
            {"regression", d.regression}};
  };
  nlohmann::json cells = nlohmann::json::array();
  for (auto& cell : c.cells) {
    nlohmann::json ms = nlohmann::json::object();
    for (auto& m : cell.metrics)
      ms[m.name] = {{"unit", m.unit},
                    {"baseline", m.base},
                    {"current", m.cur},
                    {"baseline_median", m.base_median},
                    {"current_median", m.cur_median},
                    {"change", m.change},
                    {"change_pct", std::isfinite(m.change_pct) ? nlohmann::json(m.change_pct) : nullptr},
                    {"lower_is_better", m.lower_is_better},
                    {"schedule_floor", m.floor},
                    {"needed", m.needed},
                    {"needed_by", m.needed_by},
                    {"worse", m.worse},
                    {"u_test", test_json(m.test)},
                    {"note", m.note},
                    {"regression", m.regression}};
    cells.push_back({{"key", cell.key},
                     {"mode", cell.mode},
                     {"label", cell.label},
                     {"expected_safe", cell.expected_safe},
                     {"trials", {{"baseline", cell.base_trials}, {"current", cell.cur_trials}}},
                     {"unsteady", {{"baseline", cell.base_unsteady}, {"current", cell.cur_unsteady}}},
                     {"harness_errors", {{"baseline", cell.base_harness}, {"current", cell.cur_harness}}},
                     {"verdicts", {{"baseline", cell.base_verdicts}, {"current", cell.cur_verdicts}}},
                     {"new_wrong_snapshots", cell.new_wrong},
                     {"failures", count_json(cell.failures)},
                     {"wrong_snapshots", cell.wrong ? count_json(*cell.wrong) : nlohmann::json(nullptr)},
                     {"metrics", ms},
                     {"findings", cell.findings()},
                     {"regression", cell.regression()}});
  }
  return {{"baseline", c.base_path},
          {"current", c.cur_path},
          {"sqlite", {{"baseline", c.base_sqlite}, {"current", c.cur_sqlite}}},
          {"threshold_pct", c.opts.threshold_pct},
          {"alpha", c.opts.alpha},
          {"correction", correction_name(c.opts.correction)},
          {"tests", c.family},
          {"cell_key", c.axes},
          {"cells", cells},
          {"only_baseline", c.only_base},
          {"only_current", c.only_cur},
          {"warnings", c.warnings},
          {"notes", c.notes},
          {"strict", strict},
          {"findings", c.findings()},
          {"regression", c.regression()},
          {"exit_code", c.exit_code(strict)}};
}

}  // namespace bb
