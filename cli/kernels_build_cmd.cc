// `kgrid kernels build --src TREE`: see kernels/source/source_build.h.
#include <cstdio>
#include <fmt/format.h>

#include "cli/kernels_cmd.h"
#include "kernels/source/source_build.h"

namespace kgrid::host {

namespace {

std::string minutes(double s) {
  return s >= 60 ? fmt::format("{}m{:02}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60) : fmt::format("{:.1f}s", s);
}

}  // namespace

int kernels_build(const KernelsOptions& o) {
  kernels::SourceBuildOptions so;
  so.src = o.src;
  so.config = o.build_config;
  for (const auto& f : o.fragments) so.fragments.emplace_back(f);
  so.out = o.out;
  so.cc = o.cc;
  so.jobs = o.jobs;
  so.log = [](const std::string& line) { std::fprintf(stderr, "kgrid: %s\n", line.c_str()); };
  auto r = kernels::build_from_source(so);
  if (!r) {
    std::fprintf(stderr, "kgrid: error: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("built %s in %s (config %s, make %s)\n", r->release.c_str(), minutes(r->config_s + r->build_s).c_str(),
              minutes(r->config_s).c_str(), minutes(r->build_s).c_str());
  std::printf("  image    %s\n  config   %s\n  headers  %s\n  log      %s\n", r->image.c_str(), r->config.c_str(),
              r->headers.c_str(), r->log.c_str());
  const std::string out = r->out.string();
  std::printf("use it:\n  kgrid run --kernels %s\n  kgrid run --kernels %s --build kmod,bpf --headers %s/headers\n",
              out.c_str(), out.c_str(), out.c_str());
  return 0;
}

}  // namespace kgrid::host
