// Parsing a workload file (TOML) into a WorkloadFile; every error names FILE:LINE.
#include "workloads/workload_file.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "core/errors.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("workload file {} cannot be read", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class Parser {
 public:
  Parser(WorkloadFile& f, const std::string& text) : f_(f), lines_(lines_of(text)) {}

  [[noreturn]] void fail(const toml::node& n, const std::string& what) const {
    throw UsageError(fmt::format("{}: {}", f_.where(int(n.source().begin.line)), what));
  }

  // The line of a string value's first character: a multi-line string that
  // opens with a newline starts on the next line (TOML drops that newline).
  int text_line(const toml::node& n) const {
    const int line = int(n.source().begin.line);
    const size_t col = n.source().begin.column;
    if (line < 1 || size_t(line) > lines_.size() || col < 1) return line;
    const std::string& l = lines_[size_t(line) - 1];
    if (col - 1 > l.size()) return line;
    std::string rest = l.substr(col - 1);
    for (const char* q : {"\"\"\"", "'''"})
      if (rest.rfind(q, 0) == 0 && rest.find_first_not_of(" \t\r", 3) == std::string::npos) return line + 1;
    return line;
  }

  std::string text(const toml::node& n, const std::string& key) const {
    auto s = n.value<std::string>();
    if (!s || !n.is_string()) fail(n, fmt::format("'{}' must be a string", key));
    return *s;
  }

  int64_t integer(const toml::node& n, const std::string& key) const {
    auto v = n.value<int64_t>();
    if (!v || !n.is_integer()) fail(n, fmt::format("'{}' must be an integer", key));
    return *v;
  }

  // [lo, hi] with lo <= hi, both >= min.
  std::pair<int64_t, int64_t> range(const toml::node& n, const std::string& key, int64_t min) const {
    auto a = n.as_array();
    if (!a || a->size() != 2) fail(n, fmt::format("'{}' must be [LOW, HIGH]", key));
    int64_t lo = integer(*a->get(0), key), hi = integer(*a->get(1), key);
    if (lo > hi) fail(n, fmt::format("'{}' = [{}, {}]: LOW is above HIGH", key, lo, hi));
    if (lo < min) fail(n, fmt::format("'{}' = [{}, {}]: below {}", key, lo, hi, min));
    return {lo, hi};
  }

  ParamSpec param(const std::string& name, const toml::node& n) const {
    auto t = n.as_table();
    if (!t) fail(n, fmt::format("[params.{}] must be a table", name));
    if (name == "seq") fail(n, "[params.seq]: :seq is the harness's own (the transaction's sequence number)");
    if (t->size() != 1) fail(n, fmt::format("[params.{}] needs exactly one of pick, int, text, blob", name));
    ParamSpec p;
    p.name = name;
    p.line = int(n.source().begin.line);
    auto first = t->begin();  // the iterator owns what it yields: kept alive
    auto& [k, v] = *first;
    const std::string kind(k.str());
    if (kind == "pick") {
      p.kind = ParamSpec::Kind::kPick;
      p.pick_sql = text(v, kind);
    } else if (kind == "int") {
      p.kind = ParamSpec::Kind::kInt;
      std::tie(p.lo, p.hi) = range(v, kind, INT64_MIN);
    } else if (kind == "text" || kind == "blob") {
      p.kind = kind == "text" ? ParamSpec::Kind::kText : ParamSpec::Kind::kBlob;
      std::tie(p.lo, p.hi) = range(v, kind, 0);
      if (p.hi > (16 << 20)) fail(v, fmt::format("'{}' length above 16 MiB", kind));
    } else {
      fail(v, fmt::format("[params.{}]: unknown key '{}' (expected pick, int, text or blob)", name, kind));
    }
    return p;
  }

  // [[writer]], [[reader]] or [[invariant]] entries.
  std::vector<SqlSpec> kinds(const toml::node& n, const std::string& section) const {
    auto arr = n.as_array();
    if (!arr) fail(n, fmt::format("'{}' must be written [[{}]]", section, section));
    std::vector<SqlSpec> out;
    std::set<std::string> names;
    for (auto& el : *arr) {
      auto t = el.as_table();
      if (!t) fail(el, fmt::format("[[{}]] must be a table", section));
      SqlSpec k;
      k.line = int(el.source().begin.line);
      bool has_sql = false;
      for (auto& [key, v] : *t) {
        const std::string kk(key.str());
        if (kk == "name") k.name = text(v, kk);
        else if (kk == "sql") k.sql = text(v, kk), k.sql_line = text_line(v), has_sql = true;
        else if (kk == "weight" && section != "invariant") {
          k.weight = integer(v, kk);
          if (k.weight <= 0) fail(v, fmt::format("[[{}]] weight {} is not positive", section, k.weight));
        } else {
          fail(v, fmt::format("unknown key '{}' in [[{}]] (expected name, {}sql)", kk, section,
                              section == "invariant" ? "" : "weight, "));
        }
      }
      if (k.name.empty()) k.name = fmt::format("{}{}", section, out.size() + 1);
      if (!names.insert(k.name).second) fail(el, fmt::format("[[{}]] name '{}' is used twice", section, k.name));
      if (!has_sql || k.sql.find_first_not_of(" \t\r\n") == std::string::npos)
        fail(el, fmt::format("[[{}]] '{}' has no statements", section, k.name));
      out.push_back(std::move(k));
    }
    return out;
  }

 private:
  WorkloadFile& f_;
  std::vector<std::string> lines_;
};

}  // namespace

std::string WorkloadFile::where(int line) const { return fmt::format("{}:{}", path, line); }

bool is_file_workload(const std::string& workload) { return workload.rfind(kFileWorkloadPrefix, 0) == 0; }

std::string workload_file_path(const std::string& workload) {
  return workload.substr(std::char_traits<char>::length(kFileWorkloadPrefix));
}

WorkloadFile load_workload_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw UsageError(fmt::format("workload file {} does not exist", path));
  WorkloadFile f;
  f.path = path;
  f.name = fs::path(path).filename().string();
  const std::string text = read_all(path);
  f.bytes = int64_t(text.size());
  f.hash = fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Parser p(f, text);
  for (auto& [k, v] : doc) {
    const std::string key(k.str());
    if (key == "populate") {
      f.populate = p.text(v, key);
      f.populate_line = p.text_line(v);
    } else if (key == "params") {
      auto t = v.as_table();
      if (!t) p.fail(v, "'params' must be tables [params.NAME]");
      for (auto& [pk, pv] : *t) f.params.push_back(p.param(std::string(pk.str()), pv));
    } else if (key == "writer") {
      f.writers = p.kinds(v, key);
    } else if (key == "reader") {
      f.readers = p.kinds(v, key);
    } else if (key == "invariant") {
      f.invariants = p.kinds(v, key);
    } else {
      p.fail(v, fmt::format("unknown key '{}' (expected populate, [params.NAME], [[writer]], [[reader]], "
                            "[[invariant]])",
                            key));
    }
  }
  if (f.writers.empty()) throw UsageError(fmt::format("{}: no [[writer]]: a workload needs one", path));
  return f;
}

}  // namespace bb
