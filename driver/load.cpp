// Starting, watching and stopping a load's worker processes.
#include "driver/load.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace bb {

namespace {

int64_t period_ns(double rate) { return rate > 0 ? int64_t(1e9 / rate) : 0; }

}  // namespace

Load::Load(const LoadSpec& spec) : spec_(spec), seg_(ShmSegment::create(make_segment_name())) {
  const int n = spec.writers + spec.readers;
  if (n > kMaxWorkers) throw HarnessError(fmt::format("{} workers exceed the limit of {}", n, kMaxWorkers));
  // A constructor that throws gets no destructor: what it started, it ends.
  try {
    start_workers(n);
  } catch (...) {
    kill_all();
    throw;
  }
}

void Load::start_workers(int n) {
  SharedState& st = state();
  const LoadSpec& spec = spec_;
  const std::string exe = spec.exe.empty() ? self_exe() : spec.exe;
  for (int i = 0; i < n; ++i) {
    const bool writer = i < spec.writers;
    const int64_t period = period_ns(writer ? spec.writer_rate : spec.reader_rate);
    const int index = writer ? i : i - spec.writers, count = writer ? spec.writers : spec.readers;
    std::vector<std::string> args{"__worker", "--shm", seg_.name(), "--slot", std::to_string(i), "--role",
                                  writer ? "writer" : "reader", "--db", spec.db, "--workload", spec.workload,
                                  "--reader-shape", spec.reader_shape, "--samples", samples_path(i), "--seed",
                                  std::to_string(spec.seed + uint64_t(i) + 1), "--rate",
                                  fmt::format("{}", writer ? spec.writer_rate : spec.reader_rate), "--busy-timeout",
                                  std::to_string(spec.busy_timeout_ms), "--busy-poll",
                                  std::to_string(spec.busy_poll_ms), "--synchronous", spec.synchronous,
                                  "--wal-autocheckpoint", std::to_string(spec.wal_autocheckpoint),
                                  // Schedules are spread evenly over one period, so together the
                                  // workers of a role run at a steady rate, not in bursts.
                                  "--offset-ns", std::to_string(period * index / std::max(1, count))};
    workers_.push_back(spawn(exe, args));
  }
  // Start barrier: every worker has its connection and statements ready. A
  // worker that dies on the way is seen by check_workers() within one slice.
  const int64_t deadline = now_ns() + kBarrierTimeoutMs * 1'000'000;
  while (!st.wait_for_arrivals(n, 50)) {
    throw_if_interrupted();
    check_workers();
    if (now_ns() > deadline)
      throw HarnessError(fmt::format("{} of {} workers reached the start barrier within {} s", st.arrived.load(), n,
                                     kBarrierTimeoutMs / 1000));
  }
  t0_ = now_ns();
  st.release(t0_);
}

Load::~Load() { kill_all(); }

void Load::kill_all() noexcept {
  for (pid_t& p : extra_) kill_and_wait(std::exchange(p, 0));
  state().request_stop();
  for (pid_t& p : workers_)
    if (p > 0) kill_and_wait(std::exchange(p, -1));  // -1: already reaped; left running by an interrupted or timed-out stop()
  std::error_code ec;
  for (int i = 0; i < int(workers_.size()); ++i) fs::remove(samples_path(i), ec);
}

// A file workload's per-kind counts (workloads/file_workload.cpp), summed over
// the workers that wrote them.
void Load::add_kind_stats(const std::string& path) {
  std::ifstream in(path);
  if (!in) return;
  auto j = nlohmann::json::parse(in, nullptr, false);
  in.close();
  fs::remove(path);
  if (!j.is_object()) return;
  for (auto& [name, k] : j.items()) {
    auto& into = kinds[name];
    if (into.is_null()) into = {{"role", k["role"]}, {"commits", 0}, {"constraint_errors", 0}, {"last_error", nullptr}};
    into["commits"] = into["commits"].get<int64_t>() + k.value("commits", int64_t(0));
    into["constraint_errors"] = into["constraint_errors"].get<int64_t>() + k.value("constraint_errors", int64_t(0));
    if (!k["last_error"].is_null()) into["last_error"] = k["last_error"];
  }
}

std::string Load::samples_path(int i) const { return fmt::format("{}/worker{}.bin", spec_.samples_dir, i); }

std::string Load::worker_name(int i) const {
  return i < spec_.writers ? fmt::format("writer {}", i) : fmt::format("reader {}", i - spec_.writers);
}

std::vector<Schedule> Load::writer_schedules() const {
  std::vector<Schedule> out;
  const int64_t p = period_ns(spec_.writer_rate);
  for (int i = 0; i < spec_.writers; ++i) out.push_back({t0_, p * i / std::max(1, spec_.writers), p});
  return out;
}

std::vector<Schedule> Load::reader_schedules() const {
  std::vector<Schedule> out;
  const int64_t p = period_ns(spec_.reader_rate);
  for (int i = 0; i < spec_.readers; ++i) out.push_back({t0_, p * i / std::max(1, spec_.readers), p});
  return out;
}

void Load::forget(pid_t p) { std::erase(extra_, p); }

void Load::expect_death(int i, int signal) { expected_deaths_[i] = signal; }

bool Load::expected(int i, const ExitStatus& ex) {
  auto it = expected_deaths_.find(i);
  if (it == expected_deaths_.end() || ex.signal != it->second) return false;
  deaths_[i] = ex;
  return true;
}

void Load::check_workers() {
  SharedState& st = state();
  for (int i = 0; i < int(workers_.size()); ++i) {
    if (st.workers[i].failed.load())
      throw HarnessError(fmt::format("{} failed: {}", worker_name(i), st.workers[i].error));
    if (workers_[i] <= 0) continue;
    if (auto ex = try_wait(workers_[i])) {
      workers_[i] = -1;  // reaped
      if (expected(i, *ex)) continue;
      throw HarnessError(fmt::format("{} {} before the load was stopped", worker_name(i), how_it_ended(*ex)));
    }
  }
}

void Load::sample_sizes(int64_t now, WalWatch* wal) {
  const int64_t w = file_size_or_zero(with_suffix(spec_.db, "-wal"));
  if (wal) {
    // The backup's marks in shared memory say whether it holds the database now.
    const BackupProgress& bp = state().backup;
    const int64_t asked = bp.asked_ns.load(), released = bp.released_ns.load();
    if (!asked) wal->at_start = w;
    else if (!released) {
      if (wal->at_start < 0) wal->at_start = w;
      wal->peak = std::max(wal->peak, w);
    }
  }
  if (now - last_size_ < size_every_ns_) return;
  last_size_ = now;
  sizes.push_back({now, w, file_size_or_zero(spec_.db)});
  if (sizes.size() >= kMaxSizes) {
    // Keep every other sample and sample half as often: bounded memory, even spread.
    size_t j = 0;
    for (size_t i = 0; i < sizes.size(); i += 2) sizes[j++] = sizes[i];
    sizes.resize(j);
    size_every_ns_ *= 2;
  }
}

void Load::sample_memory(int64_t now) {
  if (now - last_memory_ < (extra_.empty() ? 100'000'000 : 10'000'000)) return;
  last_memory_ = now;
  if (auto m = memory_of(getpid())) mem_driver.add(*m);
  for (int i = 0; i < int(workers_.size()); ++i)
    if (workers_[i] > 0)
      if (auto m = memory_of_child(workers_[i])) (i < spec_.writers ? mem_writers : mem_readers).add(*m);
  for (pid_t p : extra_)
    if (auto m = memory_of_child(p)) mem_backup.add(*m);
}

std::optional<ExitStatus> Load::watch_until(int64_t until, pid_t watch, const std::string& what, WalWatch* wal,
                                            const std::function<bool()>& enough) {
  int64_t last_progress = 0;
  const int64_t began = now_ns();
  while (true) {
    const int64_t now = now_ns();
    sample_sizes(now, wal);
    sample_memory(now);
    if (g_interrupted) throw Interrupted();
    check_workers();
    if (watch > 0)
      if (auto ex = try_wait(watch)) return ex;
    if (now >= until || (enough && enough())) return std::nullopt;
    if (progress && now - last_progress > 100'000'000) {
      progress(fmt::format("{} {:.1f}s", what, ns_to_s(now - began)));
      last_progress = now;
    }
    // The driver observes; it never synchronises anyone with this pause.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Load::stop() {
  SharedState& st = state();
  check_workers();
  st.request_stop();
  // Every worker sees the flag within its longest sleep (20 ms) or its busy
  // handler's; one still running at the deadline is stuck, and named.
  const int64_t deadline = now_ns() + kStopTimeoutMs * 1'000'000;
  std::vector<std::string> failures;
  for (bool running = true; running;) {
    running = false;
    for (int i = 0; i < int(workers_.size()); ++i) {
      if (workers_[i] <= 0) continue;
      auto ex = try_wait(workers_[i]);
      if (!ex) {
        running = true;
        continue;
      }
      workers_[i] = -1;
      if (!ex->ok() && !expected(i, *ex))
        failures.push_back(fmt::format("{} {}: {}", worker_name(i), how_it_ended(*ex), st.workers[i].error));
    }
    if (!running) break;
    throw_if_interrupted();  // the destructor kills what still runs
    if (now_ns() > deadline) {
      for (int i = 0; i < int(workers_.size()); ++i)
        if (workers_[i] > 0) failures.push_back(fmt::format("{} did not stop within {} s", worker_name(i), kStopTimeoutMs / 1000));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!failures.empty()) throw HarnessError(failures.front());
  size_t writer_total = 0, reader_total = 0;
  for (int i = 0; i < int(workers_.size()); ++i)
    (i < spec_.writers ? writer_total : reader_total) += size_t(file_size_or_zero(samples_path(i))) / sizeof(Sample);
  writer_samples.reserve(writer_samples.size() + writer_total);
  reader_samples.reserve(reader_samples.size() + reader_total);
  for (int i = 0; i < int(workers_.size()); ++i) {
    append_samples(samples_path(i), i < spec_.writers ? writer_samples : reader_samples);
    add_kind_stats(samples_path(i) + ".kinds.json");
    behind += st.workers[i].behind.load();
    max_lag_ns = std::max(max_lag_ns, st.workers[i].max_lag_ns.load());
    fs::remove(samples_path(i));
  }
}

}  // namespace bb
