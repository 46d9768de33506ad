#include "kernels/debian/version.h"

#include <doctest/doctest.h>

using namespace kgrid::kernels;

namespace {
int sign(int v) { return (v > 0) - (v < 0); }
}  // namespace

TEST_CASE("Debian version ordering follows dpkg") {
  struct Case {
    const char *a, *b;
    int want;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"6.1.176-1", "6.1.170-3", 1},
           {"6.12.117-1", "6.12.95-1~bpo12+1", 1},
           {"6.12.90-2~bpo12+1", "6.12.90-1~bpo12+1", 1},
           {"7.3~rc7-1~exp1", "7.3-1", -1},
           {"7.3~rc7-1~exp1", "7.2.13-1", 1},
           {"1.0~", "1.0", -1},
           {"1.0", "1.0", 0},
           {"1.00", "1.0", 0},
           {"1:1.0", "2.0", 1},
           {"1.0a", "1.0", 1},
           {"1.0+", "1.0a", 1},
           {"1.0-1", "1.0", 1},
           {"5.10.223-1", "5.10.218-1", 1},
           {"10", "9", 1},
       }) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    CHECK(sign(compare_debian_versions(c.a, c.b)) == c.want);
    CHECK(sign(compare_debian_versions(c.b, c.a)) == -c.want);
  }
}
