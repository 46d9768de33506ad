// What an interactive guest needs on top of kgrid's initramfs: a static shell
// (Debian's busybox-static), /etc/profile with the kgrid tools on the PATH,
// and kgrid-test, which runs the test plan by hand. Also finds the host tools
// the interactive commands rely on, with messages that say how to install them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "packer/cpio.h"
#include "util/process.h"  // find_in_path

namespace kgrid::host {

struct BusyboxSearch {
  std::string explicit_path;                                // --busybox FILE; "" to search
  std::filesystem::path dpkg_info = "/var/lib/dpkg/info";   // busybox-static.list lives here
  std::vector<std::filesystem::path> fallbacks = {"/bin/busybox", "/usr/bin/busybox"};
};

// The static busybox binary for a guest of `arch` (x86_64, arm64), from the
// busybox-static package's file list, else the usual paths. Errors say how to
// install it (apt-get install busybox-static). An empty `arch` accepts any CPU.
Result<std::filesystem::path> find_busybox(const std::string& arch, const BusyboxSearch& search = {});

// Checks that `path` is a statically linked 64-bit ELF executable for `arch`
// (any CPU if `arch` is empty).
Status check_static_elf(const std::filesystem::path& path, const std::string& arch);


struct ShellFilesOptions {
  std::filesystem::path busybox;
  std::string banner;  // extra lines printed when the shell starts, e.g. the kernel id
  int rows = 0;        // the user's terminal size, set in the guest with stty; 0: unknown
  int cols = 0;
};

// The entries to overlay on a kgrid initramfs: /bin/busybox, /bin/sh,
// /etc/profile, /kgrid/bin/kgrid-test and the directories busybox installs
// its applets into.
Result<std::vector<packer::Entry>> shell_entries(const ShellFilesOptions& options);

// Writes `out`: the initramfs `initrd` unchanged, followed by an overlay with
// the shell entries (the kernel unpacks both, the later one on top).
Status add_shell_overlay(const std::filesystem::path& initrd, const ShellFilesOptions& options,
                         const std::filesystem::path& out);

// The texts, exposed for tests.
std::string shell_profile(const ShellFilesOptions& options);
std::string kgrid_test_script();

}  // namespace kgrid::host
