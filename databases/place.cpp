// Making a trial's place.
#include "databases/place.h"

#include <filesystem>

namespace bb {

Place make_place(const std::string& filesystem, const std::string& host_dir, int64_t db_mb) {
  Place p;
  if (filesystem == "host") {
    std::filesystem::create_directories(host_dir);
    p.data_dir = p.dest_dir = host_dir;
    p.info = mount_facts(host_dir);
    return p;
  }
  auto kind = fs_kind_from_name(filesystem);
  if (!kind) {
    p.cannot = "unknown filesystem " + filesystem;
    return p;
  }
  // Room for the database, its snapshot, WAL growth and a private copy for
  // validation; the image is sparse, so only what is written takes disk space.
  LoopFsResult m = mount_loop_fs(
      {.kind = *kind, .size_bytes = (db_mb * 4 + 512) << 20, .label = "trial", .subvolume = *kind == FsKind::kBtrfs});
  if (!m.fs) {
    p.cannot = m.cannot;
    return p;
  }
  p.fs = std::move(m.fs);
  p.data_dir = p.fs->data_dir();
  p.dest_dir = p.fs->mount_point() + "/dest";
  std::filesystem::create_directories(p.dest_dir);
  p.info = p.fs->info();
  return p;
}

}  // namespace bb
