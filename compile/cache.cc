#include "compile/cache.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <system_error>

#include "compile/runner.h"

namespace kgrid::host {

namespace fs = std::filesystem;

bool copy_file_atomic(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::path tmp = to.string() + ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(tmp, to, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

bool build_cache_fetch(const fs::path& cache, const std::string& key, const fs::path& artifact, int log_fd) {
  if (cache.empty() || key.empty()) return false;
  std::error_code ec;
  fs::path hit = cache / key;
  if (!fs::is_regular_file(hit / "artifact", ec) || !copy_file_atomic(hit / "artifact", artifact)) return false;
  log_write(log_fd, read_text(hit / "build.log"));
  log_write(log_fd, "kgrid build: artifact from the build cache (" + (hit / "artifact").string() + ")\n");
  return true;
}

void build_cache_store(const fs::path& cache, const std::string& key, const fs::path& artifact, const fs::path& log) {
  if (cache.empty() || key.empty()) return;
  std::error_code ec;
  fs::path tmp = cache / (key + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(::gettid()));
  fs::create_directories(tmp, ec);
  if (!ec && copy_file_atomic(artifact, tmp / "artifact") && copy_file_atomic(log, tmp / "build.log"))
    fs::rename(tmp, cache / key, ec);
  fs::remove_all(tmp, ec);
}

}  // namespace kgrid::host
