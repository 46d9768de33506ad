#include "init/mounts.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace kgrid::init;

TEST_CASE("every file system kgrid needs is in the mount table") {
  std::set<std::string> targets;
  for (const auto& m : guest_mounts()) targets.insert(m.target);
  for (const char* t : {"/proc", "/sys", "/dev", "/tmp", "/sys/kernel/debug", "/sys/kernel/tracing",
                        "/sys/fs/bpf", "/sys/fs/cgroup", "/sys/kernel/security"})
    CHECK_MESSAGE(targets.count(t) == 1, t);
  CHECK(targets.size() == guest_mounts().size());  // no duplicates
}

TEST_CASE("parents are mounted before what is mounted inside them") {
  const auto& specs = guest_mounts();
  for (size_t i = 0; i < specs.size(); ++i) {
    std::string child = specs[i].target;
    for (size_t j = i + 1; j < specs.size(); ++j) {
      std::string parent = std::string(specs[j].target) + "/";
      CHECK_MESSAGE(child.rfind(parent, 0) != 0, child << " is mounted before " << parent);
    }
  }
}

TEST_CASE("failed mounts become a comma list") {
  CHECK(failed_names({}) == "");
  CHECK(failed_names({{"tracefs", "x"}, {"securityfs", "y"}}) == "tracefs,securityfs");
}
