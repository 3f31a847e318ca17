// Where a trial's (or a probe's) database and destination live: in the run
// folder on the host's filesystem, or on a fresh loop-mounted filesystem made for
// it (core/loop_fs.h) -- the database in its data folder (a subvolume on btrfs)
// and the destination beside it on the same filesystem. Unmounted when the
// Place is destroyed: declare it before anything that holds its files open.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/loop_fs.h"

namespace bb {

struct Place {
  std::unique_ptr<LoopFs> fs;  // null on the host
  std::string data_dir, dest_dir;
  nlohmann::json info;         // the filesystem's type and mount options
  std::string cannot;          // why the filesystem could not be made (the cell is skipped)
};

// `filesystem`: "host" (files under `host_dir`) or ext4, xfs, btrfs, tmpfs.
Place make_place(const std::string& filesystem, const std::string& host_dir, int64_t db_mb);

}  // namespace bb
