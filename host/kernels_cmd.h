// `kgrid kernels fetch|inspect`.
#pragma once

#include <string>
#include <vector>

namespace kgrid::host {

struct KernelsOptions {
  std::vector<std::string> selectors;
  std::vector<std::string> files;
  std::string mirror;
};

int kernels_fetch(const KernelsOptions& options);
int kernels_inspect(const KernelsOptions& options);

}  // namespace kgrid::host
