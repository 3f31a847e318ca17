// Drawing and binding a workload file's parameters.
#include "workloads/file_params.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"

namespace bb {

FileParams::FileParams(Db& db, const WorkloadFile& f)
    : f_(f), picks_(f.params.size()), ints_(f.params.size()), bytes_(f.params.size()) {
  for (size_t i = 0; i < f.params.size(); ++i) {
    const ParamSpec& p = f.params[i];
    if (p.kind != ParamSpec::Kind::kPick) continue;
    const UserSqlContext ctx{f.path, fmt::format("[params.{}] pick", p.name), true};
    auto stmts = prepare_user_sql(db, p.pick_sql, p.line, ctx);
    if (stmts.size() != 1 || sqlite3_column_count(stmts[0].st.get()) != 1)
      throw UsageError(fmt::format("{}: [params.{}] pick must be one query of one column", f.where(p.line), p.name));
    sqlite3_stmt* st = stmts[0].st.get();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) picks_[i].push_back(sqlite3_value_dup(sqlite3_column_value(st, 0)));
    if (rc != SQLITE_DONE)
      throw UsageError(fmt::format("{}: [params.{}] pick failed: {}", f.where(p.line), p.name, sqlite3_errmsg(db.get())));
    if (picks_[i].empty())
      throw UsageError(fmt::format("{}: [params.{}] pick returns no rows: {}", f.where(p.line), p.name, p.pick_sql));
  }
}

FileParams::~FileParams() {
  for (auto& rows : picks_)
    for (auto* v : rows) sqlite3_value_free(v);
}

int FileParams::index(const std::string& name) const {
  if (name == "seq") return kSeq;
  for (size_t i = 0; i < f_.params.size(); ++i)
    if (f_.params[i].name == name) return int(i);
  return -2;
}

void FileParams::draw(int i, Rng& rng) {
  const ParamSpec& p = f_.params[size_t(i)];
  switch (p.kind) {
    case ParamSpec::Kind::kPick:
      ints_[size_t(i)] = int64_t(rng() % picks_[size_t(i)].size());
      break;
    case ParamSpec::Kind::kInt:
      ints_[size_t(i)] = p.lo + int64_t(rng() % (uint64_t(p.hi - p.lo) + 1));
      break;
    case ParamSpec::Kind::kText:
    case ParamSpec::Kind::kBlob: {
      static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
      const size_t n = size_t(p.lo + int64_t(rng() % (uint64_t(p.hi - p.lo) + 1)));
      std::string& b = bytes_[size_t(i)];
      b.resize(n);
      for (size_t k = 0; k < n; k += 8) {
        uint64_t r = rng();
        for (size_t j = k; j < std::min(n, k + 8); ++j, r >>= 8)
          b[j] = p.kind == ParamSpec::Kind::kBlob ? char(r & 0xff) : kAlphabet[(r & 0xff) % (sizeof kAlphabet - 1)];
      }
      break;
    }
  }
}

void FileParams::bind(sqlite3_stmt* st, int pos, int i) const {
  const ParamSpec& p = f_.params[size_t(i)];
  const std::string& b = bytes_[size_t(i)];
  switch (p.kind) {
    case ParamSpec::Kind::kPick:
      sqlite3_bind_value(st, pos, picks_[size_t(i)][size_t(ints_[size_t(i)])]);
      break;
    case ParamSpec::Kind::kInt:
      sqlite3_bind_int64(st, pos, ints_[size_t(i)]);
      break;
    // SQLITE_STATIC: the buffer lives until the next draw, after the statement ran.
    case ParamSpec::Kind::kText:
      sqlite3_bind_text64(st, pos, b.data(), b.size(), SQLITE_STATIC, SQLITE_UTF8);
      break;
    case ParamSpec::Kind::kBlob:
      sqlite3_bind_blob64(st, pos, b.data(), b.size(), SQLITE_STATIC);
      break;
  }
}

std::vector<Binding> binding_plan(const UserStmt& u, const FileParams& params, const UserSqlContext& ctx) {
  std::vector<Binding> plan;
  sqlite3_stmt* st = u.st.get();
  for (int pos = 1; pos <= sqlite3_bind_parameter_count(st); ++pos) {
    const char* raw = sqlite3_bind_parameter_name(st, pos);
    auto fail = [&](const std::string& why) {
      return UsageError(fmt::format("{}:{}: {} statement {}: {}", ctx.where_file, u.line, ctx.what, u.number, why));
    };
    if (!raw) throw fail("positional parameters (?) are not supported; name them, e.g. :customer");
    const std::string name(raw + 1);  // after the ':', '@' or '$'
    const int i = params.index(name);
    if (i == -2) throw fail(fmt::format("uses {}, which no [params] defines (nor is it :seq)", raw));
    plan.push_back({pos, i});
  }
  return plan;
}

}  // namespace bb
