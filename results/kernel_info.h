// What a kernel is, for grouping and labels: its distro, series (6.1) and
// flavor (amd64, cloud-amd64), derived from the id, source and release when a
// results file does not carry them (schema 1, or a producer that left them
// empty).
#pragma once

#include <string>
#include <string_view>

#include "results/results.h"

namespace kgrid::results {

// "debian:bookworm/linux-image-amd64" -> debian; else the id's first part
// (debian-bookworm-6.1.0-50-amd64 -> debian, local-6.6.0 -> local).
std::string derive_distro(std::string_view source, std::string_view id);

// "6.1.0-50-amd64" -> "6.1", "7.2.13+deb14-amd64" -> "7.2"; "" if not a release.
std::string derive_series(std::string_view release);

// "6.1.0-50-cloud-amd64" -> "cloud-amd64", "7.2.13+deb14-amd64" -> "amd64",
// "6.6.0" -> "".
std::string derive_flavor(std::string_view release);

// `k` with distro, series and flavor filled in where empty.
KernelResult with_derived_fields(KernelResult k);

// "debian 6.1"; "local ?" when the release is unknown.
std::string series_label(const KernelResult& k);

// Orders "5.10" < "6.1" < "6.12" < "7.0" (numbers compared as numbers).
bool natural_less(std::string_view a, std::string_view b);

}  // namespace kgrid::results
