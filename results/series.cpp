// Writing a trial's series and reading its window latencies back. Both stream:
// a 10-minute trial has about a million commits, and a JSON document tree of
// them would cost the driver ~100 bytes each on top of the samples it holds.
#include "results/series.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/files.h"

namespace bb {
namespace {

int64_t us(int64_t ns) { return ns / 1000; }

using Out = fmt::memory_buffer;

void window(Out& o, int64_t t0, const Window& x) { fmt::format_to(std::back_inserter(o), "[{},{}]", us(x.begin - t0), us(x.end - t0)); }

void windows(Out& o, int64_t t0, const std::vector<Window>& v) {
  o.push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o.push_back(',');
    window(o, t0, v[i]);
  }
  o.push_back(']');
}

// Flushes the buffer to the file once it holds a chunk, so it stays small.
void drain(Out& o, std::FILE* f, const std::string& path, bool all = false) {
  if (!all && o.size() < (1 << 20)) return;
  if (std::fwrite(o.data(), 1, o.size(), f) != o.size()) throw std::system_error(errno, std::generic_category(), "write " + path);
  o.clear();
}

void ops(Out& o, std::FILE* f, const std::string& path, int64_t t0, const std::vector<Sample>& v) {
  o.push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    const Sample& s = v[i];
    fmt::format_to(std::back_inserter(o), "{}[{},{},{},{}]", i ? "," : "", us(s.end - t0), us(s.end - s.intended),
                   us(s.end - s.start), s.worker);
    drain(o, f, path);
  }
  o.push_back(']');
}

// SAX reader of a series file (nlohmann's sax_parse): the windows on a first
// pass (older files have them last), the members' latencies on the second.
struct SeriesReader {
  bool rows = false;  // second pass
  int depth = 0;
  std::string top, sub;
  std::vector<int64_t> nums;
  bool have_baseline = false;
  Window baseline{};
  std::vector<Window> impacts;
  WindowLatencies* out = nullptr;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(int64_t v) { return nums.push_back(v), true; }
  bool number_unsigned(uint64_t v) { return nums.push_back(int64_t(v)), true; }
  bool number_float(double v, const std::string&) { return nums.push_back(int64_t(v)), true; }
  bool string(std::string&) { return true; }
  bool binary(nlohmann::json::binary_t&) { return true; }
  bool start_object(std::size_t) { return ++depth, true; }
  bool end_object() { return --depth, true; }
  bool key(std::string& k) {
    if (depth == 1) top = k;
    if (depth == 2) sub = k;
    return true;
  }
  bool start_array(std::size_t) {
    nums.clear();
    return ++depth, true;
  }
  bool end_array() {
    if (top == "windows_us" && nums.size() == 2) {
      if (sub == "baseline" && depth == 3) baseline = {nums[0], nums[1]}, have_baseline = true;
      if (sub == "impacts" && depth == 4 && !rows) impacts.push_back({nums[0], nums[1]});
    } else if (rows && depth == 3 && nums.size() >= 3 && (top == "commits" || top == "queries")) {
      const int64_t end = nums[0], resp = nums[1];
      const Sample s{0, end - resp, end - nums[2], end, 0, 1};  // µs, same rule as member()
      auto& base = top == "commits" ? out->writers_baseline : out->readers_baseline;
      auto& during = top == "commits" ? out->writers_during : out->readers_during;
      if (member(s, baseline)) base.push_back(resp * 1000);
      for (auto& d : impacts)
        if (member(s, d)) during.push_back(resp * 1000);
    }
    nums.clear();
    return --depth, true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

}  // namespace

void write_series(const std::string& path, int64_t t0, const std::vector<Sample>& writers,
                  const std::vector<Sample>& readers, const std::vector<SizeSample>& sizes, const SeriesWindows& w) {
  const std::string tmp = with_suffix(path, ".tmp");
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), std::fclose);
    if (!f) throw std::system_error(errno, std::generic_category(), "create " + tmp);
    Out o;
    auto put = [&](std::string_view s) { o.append(s.data(), s.data() + s.size()); };
    put(R"({"columns":{"commits":["t_us","response_us","service_us","worker"],)"
        R"("queries":["t_us","response_us","service_us","worker"],"sizes":["t_us","wal_bytes","db_bytes"]},)");
    put(R"("windows_us":{"baseline":)");
    window(o, t0, w.baseline);
    put(R"(,"impacts":)");
    windows(o, t0, w.impacts);
    put(R"(,"snapshots":)");
    windows(o, t0, w.snapshots);
    put(R"(},"commits":)");
    ops(o, f.get(), tmp, t0, writers);
    put(R"(,"queries":)");
    ops(o, f.get(), tmp, t0, readers);
    put(R"(,"sizes":[)");
    for (size_t i = 0; i < sizes.size(); ++i)
      fmt::format_to(std::back_inserter(o), "{}[{},{},{}]", i ? "," : "", us(sizes[i].t - t0), sizes[i].wal, sizes[i].db);
    put("]}");
    drain(o, f.get(), tmp, true);
    if (std::fflush(f.get()) != 0) throw std::system_error(errno, std::generic_category(), "write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

WindowLatencies read_window_latencies(const std::string& path, bool* ok) {
  WindowLatencies out;
  if (ok) *ok = false;
  SeriesReader r;
  r.out = &out;
  for (bool rows : {false, true}) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    r.rows = rows;
    r.depth = 0;
    r.top.clear(), r.sub.clear();
    if (!nlohmann::json::sax_parse(in, &r) || !r.have_baseline) return {};
  }
  if (ok) *ok = true;
  return out;
}

}  // namespace bb
