// Binary sample files: written once by a worker at exit, read by the driver.
#include "harness/samples.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace bb {

void SampleLog::write(const std::string& path) const {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "wb"), fclose);
  if (!f) throw std::runtime_error(fmt::format("cannot write {}", path));
  if (!v_.empty() && fwrite(v_.data(), sizeof(Sample), v_.size(), f.get()) != v_.size())
    throw std::runtime_error(fmt::format("short write to {}", path));
}

std::vector<Sample> read_samples(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
  if (!f) return {};
  std::vector<Sample> v;
  Sample s;
  while (fread(&s, sizeof s, 1, f.get()) == 1) v.push_back(s);
  return v;
}

}  // namespace bb
