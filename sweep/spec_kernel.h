// A plan made concrete for one kernel: CONFIG requirements are checked on
// the host, against the kernel's config file, because most kernels have no
// /proc/config.gz for the guest to read.
#pragma once

#include "common/plan.h"

namespace kgrid::host {

// With a config (`config` not null): every test whose CONFIG requirements
// are not met gets a "skip <reason>" directive, and its requirements leave
// the plan (checked). Without one: the requirements stay in the plan, for
// the guest to check from /proc/config.gz if it has one, or to report as
// unchecked.
plan::Plan plan_for_kernel(plan::Plan plan, const plan::ConfigLookup* config);

}  // namespace kgrid::host
