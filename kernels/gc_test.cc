#include "kernels/gc.h"

#include <doctest/doctest.h>

#include "kernels/cache.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {

void make_kernel(const fs::path& root, const std::string& id, std::time_t used, const std::string& sha) {
  write_file(root / "kernels" / id / "vmlinuz", std::string(1000, 'k'));
  write_file(root / "kernels" / id / "meta.json", "{\"sha256\": \"" + sha + "\"}");
  write_file(root / "kernels" / id / "last-used", std::to_string(used) + "\n");
  write_file(root / "vmlinux" / (sha + ".elf"), std::string(500, 'v'));
}

}  // namespace

TEST_CASE("gc keeps the most recently used kernels and removes the rest with their vmlinux") {
  ScratchDir cache;
  const fs::path& root = cache.path();
  const std::time_t now = std::time(nullptr);
  make_kernel(root, "debian-a", now - 10 * 86400, std::string(64, 'a'));
  make_kernel(root, "debian-b", now - 1 * 86400, std::string(64, 'b'));
  make_kernel(root, "debian-c", now - 100, std::string(64, 'c'));
  write_file(root / "headers" / "debian-a" / "meta.json", "{}");
  write_file(root / "headers" / "debian-a" / "last-used", std::to_string(now - 10 * 86400));
  write_file(root / "vmlinux" / (std::string(64, 'e') + ".elf"), "orphan");  // a local image's
  write_file(root / "downloads" / "x.deb.tmp-1-0", "old");
  fs::last_write_time(root / "downloads" / "x.deb.tmp-1-0", fs::file_time_type::clock::now() - std::chrono::hours(48));
  write_file(root / "downloads" / "y.deb.tmp-2-0", "fresh");

  CHECK_FALSE(gc_cache(root, GcOptions{}).ok());  // a rule is required

  GcOptions dry;
  dry.keep = 1;
  dry.dry_run = true;
  auto plan = gc_cache(root, dry);
  REQUIRE_MESSAGE(plan.ok(), why(plan));
  CHECK(plan->removed.size() == 5);  // a, b and their vmlinux; the old download
  CHECK(fs::exists(root / "kernels" / "debian-a"));

  GcOptions keep2;
  keep2.keep = 2;
  auto r = gc_cache(root, keep2);
  REQUIRE_MESSAGE(r.ok(), why(r));
  CHECK_FALSE(fs::exists(root / "kernels" / "debian-a"));
  CHECK_FALSE(fs::exists(root / "vmlinux" / (std::string(64, 'a') + ".elf")));
  CHECK(fs::exists(root / "kernels" / "debian-b"));
  CHECK(fs::exists(root / "kernels" / "debian-c"));
  CHECK(fs::exists(root / "vmlinux" / (std::string(64, 'b') + ".elf")));
  CHECK(fs::exists(root / "headers" / "debian-a"));  // headers are counted on their own
  CHECK(fs::exists(root / "vmlinux" / (std::string(64, 'e') + ".elf")));  // no age rule given
  CHECK_FALSE(fs::exists(root / "downloads" / "x.deb.tmp-1-0"));
  CHECK(fs::exists(root / "downloads" / "y.deb.tmp-2-0"));
  CHECK(r->bytes_freed >= 1500);

  GcOptions age;
  age.max_age = std::chrono::hours(24 * 7);
  fs::last_write_time(root / "vmlinux" / (std::string(64, 'e') + ".elf"),
                      fs::file_time_type::clock::now() - std::chrono::hours(24 * 30));
  {
    auto busy = FileLock::acquire(root / "locks" / "debian-b.lock");  // a running kgrid holds it
    REQUIRE(busy.ok());
    GcOptions all;
    all.max_age = std::chrono::hours(1);
    auto held = gc_cache(root, all);
    REQUIRE(held.ok());
    CHECK(fs::exists(root / "kernels" / "debian-b"));
    CHECK_FALSE(held->warnings.empty());
  }
  auto aged = gc_cache(root, age);
  REQUIRE(aged.ok());
  CHECK_FALSE(fs::exists(root / "headers" / "debian-a"));
  CHECK_FALSE(fs::exists(root / "vmlinux" / (std::string(64, 'e') + ".elf")));
  CHECK(fs::exists(root / "kernels" / "debian-c"));
}
