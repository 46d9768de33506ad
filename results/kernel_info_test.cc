#include "results/kernel_info.h"

#include <doctest/doctest.h>

using namespace kgrid::results;

TEST_CASE("series and flavor come from Debian and plain releases") {
  CHECK(derive_series("6.1.0-50-amd64") == "6.1");
  CHECK(derive_series("7.2.13+deb14-amd64") == "7.2");
  CHECK(derive_series("6.12.117+deb13-cloud-amd64") == "6.12");
  CHECK(derive_series("5.10.0-32-amd64") == "5.10");
  CHECK(derive_series("6.6.0") == "6.6");
  CHECK(derive_series("6.8-rc3") == "6.8");
  CHECK(derive_series("") == "");
  CHECK(derive_series("banana") == "");
  CHECK(derive_flavor("6.1.0-50-amd64") == "amd64");
  CHECK(derive_flavor("6.1.0-50-cloud-amd64") == "cloud-amd64");
  CHECK(derive_flavor("7.2.13+deb14-rt-amd64") == "rt-amd64");
  CHECK(derive_flavor("6.6.0") == "");
}

TEST_CASE("distro comes from the source selector, else the id") {
  CHECK(derive_distro("debian:bookworm/linux-image-amd64", "whatever") == "debian");
  CHECK(derive_distro("/images/vmlinuz", "local-6.6.0") == "local");
  CHECK(derive_distro("", "debian-bookworm-6.1.0-50-amd64") == "debian");
  CHECK(derive_distro("", "") == "local");
}

TEST_CASE("natural order puts 6.1 before 6.12 and 5.10 before 6.1") {
  CHECK(natural_less("debian 5.10", "debian 6.1"));
  CHECK(natural_less("debian 6.1", "debian 6.12"));
  CHECK(natural_less("debian 6.9", "debian 6.12"));
  CHECK_FALSE(natural_less("debian 6.12", "debian 6.1"));
  CHECK(natural_less("debian 7.2", "local 6.6"));
  CHECK_FALSE(natural_less("a", "a"));
  CHECK(natural_less("a", "ab"));
}
