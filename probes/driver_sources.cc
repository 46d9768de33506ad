#include "probes/driver_sources.h"

#include <fstream>
#include <system_error>

namespace kgrid::probe {

std::vector<EmbeddedFile> driver_files(std::string_view driver) {
  std::vector<EmbeddedFile> out;
  for (const EmbeddedFile& f : kEmbeddedDriverFiles) {
    size_t slash = f.path.find('/');
    if (slash != std::string_view::npos && f.path.substr(0, slash) == driver)
      out.push_back({f.path.substr(slash + 1), f.data});
  }
  return out;
}

Status write_driver_sources(std::string_view driver, const std::filesystem::path& dir) {
  std::vector<EmbeddedFile> files = driver_files(driver);
  if (files.empty()) return make_error("no embedded sources for driver '" + std::string(driver) + "'");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message());
  for (const EmbeddedFile& f : files) {
    std::filesystem::path p = dir / std::string(f.path);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(f.data.data(), static_cast<std::streamsize>(f.data.size()));
    out.close();
    if (!out) return make_error("cannot write " + p.string());
  }
  return ok_status();
}

}  // namespace kgrid::probe
