// Error types that map to the CLI's exit codes (product.md): bad input is 2,
// internal failures are 3.
#pragma once
#include <stdexcept>
#include <string>

namespace bb {

// Bad usage or bad input: printed as one line, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace bb
