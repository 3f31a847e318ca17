// Loop-mounted scratch filesystems: each type mounts and leaves nothing behind
// (no mount, no loop device, no image); a killed owner's mount is cleaned by
// the stale cleanup and a live owner's never is; without root the answer is a
// reason to skip, not a failure. Skipped with a reason where mounting is not
// possible. Each test mounts in a root folder of its own.
#include "core/loop_fs.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/cow_fs.h"
#include "core/owner_tag.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += x + "\n";
  return s;
}

// A forked child of this test: runs `body`, writes its one-line answer to a
// pipe, then waits (pause) until killed or, when `exit_after`, exits.
struct Child {
  pid_t pid = -1;
  std::string answer;
};

template <typename Body>
Child fork_child(Body body, bool exit_after) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t parent = getpid();
  Child c;
  c.pid = fork();
  if (c.pid < 0) throw std::runtime_error("fork");
  if (c.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    if (getppid() != parent) _exit(1);
    close(fds[0]);
    std::string line;
    try {
      line = body();
    } catch (const std::exception& e) {
      line = std::string("error: ") + e.what();
    }
    line += "\n";
    if (write(fds[1], line.data(), line.size()) < 0) _exit(1);
    close(fds[1]);
    if (exit_after) _exit(0);
    while (true) pause();
  }
  close(fds[1]);
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) c.answer.append(buf, size_t(n));
  close(fds[0]);
  while (!c.answer.empty() && c.answer.back() == '\n') c.answer.pop_back();
  return c;
}

class EachType : public ::testing::TestWithParam<FsKind> {};

TEST_P(EachType, MountsWritesAndLeavesNothingBehind) {
  const FsKind kind = GetParam();
  const std::string name(fs_kind_name(kind));
  test::TempDir root;
  {
    LoopFsResult r = mount_loop_fs({.kind = kind, .size_bytes = 0, .root = root.path(), .label = "unit",
                                    .subvolume = kind == FsKind::kBtrfs});
    if (!r.fs) GTEST_SKIP() << r.cannot;
    LoopFs& lfs = *r.fs;
    // Mounted where it says, as the type it says.
    EXPECT_EQ(fs_type_of(lfs.data_dir()), name);
    auto facts = mount_facts(lfs.data_dir());
    EXPECT_EQ(facts["type"], name);
    EXPECT_EQ(facts["mount_point"], lfs.mount_point());
    EXPECT_EQ(facts["mount_options"], lfs.mount_options());
    EXPECT_NE(lfs.mount_options().find("rw"), std::string::npos) << lfs.mount_options();
    auto info = lfs.info();
    std::cout << info.dump() << "\n";  // for whoever reads the test log
    EXPECT_EQ(info["type"], name);
    EXPECT_GE(info["size_bytes"].get<int64_t>(), 1 << 20);
    EXPECT_EQ(info["loop_device"].is_string(), kind != FsKind::kTmpfs) << info.dump();
    // The names follow the documented scheme: owner tag first.
    EXPECT_EQ(fs::path(lfs.mount_point()).parent_path(), fs::canonical(root.path()));
    EXPECT_EQ(owner_tag_of(fs::path(lfs.mount_point()).filename().string()), owner_tag());
    // Usable, and what the copy-on-write strategies look for.
    { std::ofstream(lfs.data_dir() + "/f") << "hello"; }
    EXPECT_EQ(test::read_file(lfs.data_dir() + "/f"), "hello");
    if (kind == FsKind::kBtrfs) {
      EXPECT_EQ(btrfs_subvolume_root(lfs.data_dir() + "/f"), lfs.data_dir());
    }
    const bool cow = kind == FsKind::kBtrfs || kind == FsKind::kXfs;
    EXPECT_EQ(reflink_unsupported(lfs.data_dir()).empty(), cow) << reflink_unsupported(lfs.data_dir());
    EXPECT_TRUE(same_filesystem(lfs.data_dir(), lfs.mount_point()));
    EXPECT_FALSE(same_filesystem(lfs.data_dir(), root.path()));
    // While mounted, the leftovers list sees it (so an empty list means something).
    auto during = join(loop_fs_leftovers(root.path()));
    EXPECT_NE(during.find("mount " + lfs.mount_point()), std::string::npos) << during;
    if (kind != FsKind::kTmpfs) {
      EXPECT_NE(during.find("loop device"), std::string::npos) << during;
    }
    // A live owner's mount is never cleaned.
    EXPECT_EQ(join(clean_stale_loop_fs(root.path())), "");
  }
  EXPECT_EQ(join(loop_fs_leftovers(root.path())), "") << "left behind after unmount";
}

INSTANTIATE_TEST_SUITE_P(LoopFs, EachType,
                         ::testing::Values(FsKind::kExt4, FsKind::kXfs, FsKind::kBtrfs, FsKind::kTmpfs),
                         [](const auto& info) { return std::string(fs_kind_name(info.param)); });

// A process holding a mount dies by a signal it does not handle: its mount,
// loop device and image stay until the stale cleanup finds them by name.
class KilledOwner : public ::testing::TestWithParam<int> {};

TEST_P(KilledOwner, LeavesAMountThatTheStaleCleanupRemoves) {
  test::TempDir root;
  if (auto why = loop_fs_unavailable(FsKind::kBtrfs); !why.empty()) GTEST_SKIP() << why;
  Child c = fork_child(
      [&] {
        LoopFsResult r = mount_loop_fs({.kind = FsKind::kBtrfs, .size_bytes = 0, .root = root.path(),
                                        .label = "killed", .subvolume = true});
        if (!r.fs) return "cannot: " + r.cannot;
        r.fs.release();  // held until the process dies
        return std::string("mounted");
      },
      false);
  if (c.answer.rfind("cannot: ", 0) == 0) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, nullptr, 0);
    GTEST_SKIP() << c.answer;
  }
  ASSERT_EQ(c.answer, "mounted");
  const std::string before = join(loop_fs_leftovers(root.path()));
  EXPECT_NE(before.find("mount "), std::string::npos) << before;
  EXPECT_NE(before.find("loop device"), std::string::npos) << before;
  // Its owner is alive: nothing is touched.
  EXPECT_EQ(join(clean_stale_loop_fs(root.path())), "");
  EXPECT_EQ(join(loop_fs_leftovers(root.path())), before);

  kill(c.pid, GetParam());
  int st = 0;
  ASSERT_EQ(waitpid(c.pid, &st, 0), c.pid);
  ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == GetParam());
  EXPECT_EQ(join(loop_fs_leftovers(root.path())), before) << "the dead owner's mount went away by itself";

  const std::string cleaned = join(clean_stale_loop_fs(root.path()));
  EXPECT_NE(cleaned.find("unmounted"), std::string::npos) << cleaned;
  EXPECT_NE(cleaned.find("removed"), std::string::npos) << cleaned;
  EXPECT_EQ(cleaned.find("could not"), std::string::npos) << cleaned;
  EXPECT_EQ(join(loop_fs_leftovers(root.path())), "");
}

INSTANTIATE_TEST_SUITE_P(LoopFs, KilledOwner, ::testing::Values(SIGTERM, SIGKILL),
                         [](const auto& info) { return std::string(info.param == SIGTERM ? "SIGTERM" : "SIGKILL"); });

TEST(LoopFs, WithoutRootTheAnswerIsAReasonNotAFailure) {
  if (geteuid() != 0) {
    EXPECT_NE(loop_fs_unavailable(FsKind::kExt4).find("not running as root"), std::string::npos);
    return;
  }
  test::TempDir root;
  Child c = fork_child(
      [&] {
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
          return std::string("setuid failed");
        LoopFsResult r = mount_loop_fs({.kind = FsKind::kBtrfs, .size_bytes = 0, .root = root.path(),
                                        .label = "nobody", .subvolume = true});
        return r.fs ? std::string("mounted") : r.cannot;
      },
      true);
  waitpid(c.pid, nullptr, 0);
  EXPECT_EQ(c.answer, "cannot mount btrfs: not running as root");
  EXPECT_EQ(join(loop_fs_leftovers(root.path())), "");
}

TEST(LoopFs, BadLabelOrSubvolumeOffBtrfsIsBadInput) {
  test::TempDir root;
  EXPECT_THROW(mount_loop_fs({.kind = FsKind::kExt4, .size_bytes = 0, .root = root.path(), .label = "a/b"}),
               std::exception);
  EXPECT_THROW(mount_loop_fs({.kind = FsKind::kExt4, .size_bytes = 0, .root = root.path(), .label = "x",
                              .subvolume = true}),
               std::exception);
  EXPECT_EQ(join(loop_fs_leftovers(root.path())), "");
}

TEST(OwnerTag, NamesThisProcessAndTellsADeadOneFromALiveOne) {
  const std::string me = owner_tag();
  EXPECT_TRUE(owner_alive(me));
  EXPECT_EQ(owner_tag_of(me + "-3-db-btrfs.img"), me);
  EXPECT_EQ(owner_tag_of(me), me);
  EXPECT_FALSE(owner_tag_of("db-btrfs.img"));
  EXPECT_FALSE(owner_tag_of("12-x-db"));
  // Same pid, another start time: a reused pid is not the owner.
  EXPECT_FALSE(owner_alive(fmt::format("{}-1", getpid())));
  pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, nullptr, 0);
  EXPECT_FALSE(owner_alive(fmt::format("{}-{}", p, me.substr(me.find('-') + 1))));
}

TEST(LoopFs, KindNamesRoundTrip) {
  for (auto n : kFsKindNames) EXPECT_EQ(fs_kind_name(*fs_kind_from_name(n)), n);
  EXPECT_FALSE(fs_kind_from_name("host"));
}

}  // namespace
}  // namespace bb
