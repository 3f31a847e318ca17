// Time limits that scale with the database: with `backup_timeout_s = "auto"` a
// backup may take kLimitFactor times as long as a plain durable copy of the
// database takes on this machine (measured once per run on the template, up to
// kSampleBytes of it), and never less than kMinLimitS. A large database is
// given the time it needs; a backup that restarts forever under load still ends.
#pragma once
#include <cstdint>
#include <string>

namespace bb {

constexpr double kLimitFactor = 30;
constexpr double kMinLimitS = 10;
constexpr int64_t kSampleBytes = int64_t(256) << 20;
// Above this size, integrity_check = auto validates with quick_check.
constexpr int64_t kQuickCheckAboveMb = 1024;

// MB/s of a plain copy (sendfile + fdatasync) of up to kSampleBytes of `file`
// into `scratch_dir`; measured once per `key` (a filesystem) per process.
// `sample_bytes` copies less (run --check's estimate keeps itself quick).
double copy_speed_mb_s(const std::string& key, const std::string& file, const std::string& scratch_dir,
                       int64_t sample_bytes = kSampleBytes);

// The limit for a database of `db_bytes` at `speed_mb_s`.
double auto_time_limit_s(int64_t db_bytes, double speed_mb_s);

}  // namespace bb
