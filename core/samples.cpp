// Binary sample files: streamed by a worker as it goes, read by the driver.
#include "core/samples.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <memory>
#include <stdexcept>

namespace bb {

SampleWriter::SampleWriter(const std::string& path) : path_(path), buf_(kChunk) {
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + path);
}

SampleWriter::~SampleWriter() {
  try {
    close();
  } catch (...) {
  }
}

void SampleWriter::flush() {
  const char* p = reinterpret_cast<const char*>(buf_.data());
  size_t left = n_ * sizeof(Sample);
  while (left > 0) {
    ssize_t w = write(fd_, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw std::system_error(errno, std::generic_category(), "write " + path_);
    p += w;
    left -= size_t(w);
  }
  written_ += int64_t(n_);
  n_ = 0;
}

void SampleWriter::close() {
  if (fd_ < 0) return;
  flush();
  ::close(fd_);
  fd_ = -1;
}

size_t append_samples(const std::string& path, std::vector<Sample>& into) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
  if (!f) return 0;
  struct stat sb;
  if (fstat(fileno(f.get()), &sb) != 0) return 0;
  const size_t count = size_t(sb.st_size) / sizeof(Sample), at = into.size();
  into.resize(at + count);
  const size_t got = fread(into.data() + at, sizeof(Sample), count, f.get());
  into.resize(at + got);
  return got;
}

}  // namespace bb
