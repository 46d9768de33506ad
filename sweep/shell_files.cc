#include "sweep/shell_files.h"

#include <elf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <system_error>

#include "packer/initramfs.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

constexpr const char* kInstallBusybox = "install it with: sudo apt-get install busybox-static";

int elf_machine_for(const std::string& arch) {
  if (arch == "x86_64" || arch == "amd64") return EM_X86_64;
  if (arch == "arm64" || arch == "aarch64") return EM_AARCH64;
  return -1;
}

// Candidate paths from dpkg's file lists of busybox-static (any architecture).
std::vector<fs::path> from_dpkg(const fs::path& info_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(info_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name != "busybox-static.list" && name.rfind("busybox-static:", 0) != 0) continue;
    if (name.size() < 5 || name.substr(name.size() - 5) != ".list") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);)
      if (line.size() > 8 && line.substr(line.size() - 8) == "/busybox") out.emplace_back(line);
  }
  return out;
}

// A value for a single-quoted shell word.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Status check_static_elf(const fs::path& path, const std::string& arch) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot open");
  Elf64_Ehdr eh{};
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) || std::string_view(reinterpret_cast<char*>(eh.e_ident), 4) != ELFMAG)
    return make_error(path.string() + ": not an ELF executable");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return make_error(path.string() + ": not a 64-bit little-endian ELF executable");
  int want = arch.empty() ? eh.e_machine : elf_machine_for(arch);
  if (want < 0) return make_error("no guest shell support for architecture " + arch);
  if (eh.e_machine != want)
    return make_error(fmt::format("{}: built for another CPU (ELF machine {}), the guest is {}", path.string(),
                                  eh.e_machine, arch));
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return make_error(path.string() + ": unexpected ELF program headers");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    in.seekg(static_cast<std::streamoff>(eh.e_phoff + i * sizeof ph));
    if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) return make_error(path.string() + ": truncated ELF");
    if (ph.p_type == PT_INTERP)
      return make_error(path.string() + " is dynamically linked and cannot run in kgrid's initramfs");
  }
  return ok_status();
}

Result<fs::path> find_busybox(const std::string& arch, const BusyboxSearch& search) {
  std::error_code ec;
  if (!search.explicit_path.empty()) {
    fs::path p = search.explicit_path;
    if (!fs::is_regular_file(p, ec))
      return make_error(fmt::format("busybox {} does not exist; the static busybox comes from Debian's busybox-static "
                                    "package ({})", p.string(), kInstallBusybox));
    if (auto st = check_static_elf(p, arch); !st) return make_error(st.error().message + "; " + kInstallBusybox);
    return p;
  }
  std::vector<fs::path> candidates = from_dpkg(search.dpkg_info);
  candidates.insert(candidates.end(), search.fallbacks.begin(), search.fallbacks.end());
  std::string rejected;
  for (const auto& p : candidates) {
    if (!fs::is_regular_file(p, ec)) continue;
    auto st = check_static_elf(p, arch);
    if (st) return p;
    if (rejected.empty()) rejected = st.error().message;
  }
  if (!rejected.empty())
    return make_error(fmt::format("no usable static busybox: {}; kgrid needs Debian's busybox-static ({})",
                                  rejected, kInstallBusybox));
  return make_error(fmt::format("busybox is not installed; kgrid puts Debian's static busybox in the guest as its "
                                "shell; {}", kInstallBusybox));
}

std::string shell_profile(const ShellFilesOptions& o) {
  std::string p =
      "# /etc/profile of a kgrid shell, read by the guest's login shell.\n"
      "/bin/busybox --install -s 2>/dev/null\n"
      "export PATH=/kgrid/bin:/bin:/sbin:/usr/bin:/usr/sbin\n"
      "export HOME=/\n"
      "PS1='kgrid@'\"$(uname -r)\"':\\w# '\n"
      "cd /\n";
  if (o.rows > 0 && o.cols > 0) p += fmt::format("stty rows {} cols {} 2>/dev/null\n", o.rows, o.cols);
  p += "echo\n";
  if (!o.banner.empty()) p += "echo " + sh_quote(o.banner) + "\n";
  p +=
      "echo \"kgrid shell: Linux $(uname -r) $(uname -m); the kgrid tools are in /kgrid/bin, on the PATH.\"\n"
      "echo '  kgrid-test            run the test plan (/kgrid/plan) as kgrid run does; readable results'\n"
      "echo '  kgrid-probe, kgrid-gen, kgrid-testrunner   the probe, the event generator, the runner'\n"
      "echo '  poweroff, exit, Ctrl-D   leave (QEMU ends)    Ctrl-A x  leave at once    Ctrl-A c  QEMU monitor'\n"
      "echo\n";
  return p;
}

std::string kgrid_test_script() {
  return R"(#!/bin/sh
# kgrid-test [PLAN]: runs the test plan (default /kgrid/plan) with the same
# testrunner as kgrid run and prints its readable lines. The protocol records
# (KGRID1|...) are for the host: they give the exit status and are hidden.
# Exits 0 if every test passed or was skipped, 1 if one did not, 2 if the
# testrunner stopped without its END record.
KGRID_PLAN=${1:-/kgrid/plan} ${KGRID_TESTRUNNER:-/kgrid/bin/kgrid-testrunner} 2>&1 | {
  failed=0
  ended=0
  while IFS= read -r line; do
    case $line in
      *'KGRID1|'*'|TEST|'*)
        verdict=${line##*verdict=}
        verdict=${verdict%%[ |]*}
        [ "$verdict" = PASS ] || [ "$verdict" = SKIP ] || failed=1 ;;
      *'KGRID1|'*'|END|'*) ended=1 ;;
      *'KGRID1|'*) ;;
      *) printf '%s\n' "$line" ;;
    esac
  done
  if [ $ended = 0 ]; then
    echo 'kgrid-test: ERROR: the testrunner stopped without finishing (no END record)'
    exit 2
  fi
  if [ $failed = 0 ]; then echo 'kgrid-test: PASS'; else echo 'kgrid-test: FAIL'; fi
  exit $failed
}
)";
}

Result<std::vector<packer::Entry>> shell_entries(const ShellFilesOptions& options) {
  auto busybox = packer::file_entry_from_host(options.busybox, "bin/busybox");
  if (!busybox) return busybox.error();
  busybox->mode = 0755;
  return std::vector<packer::Entry>{
      std::move(*busybox),
      packer::Entry::symlink("bin/sh", "busybox"),
      packer::Entry::directory("sbin"),
      packer::Entry::directory("usr/bin"),
      packer::Entry::directory("usr/sbin"),
      packer::Entry::file("etc/profile", shell_profile(options)),
      packer::Entry::file("kgrid/bin/kgrid-test", kgrid_test_script(), 0755),
  };
}

Status add_shell_overlay(const fs::path& initrd, const ShellFilesOptions& options, const fs::path& out) {
  auto entries = shell_entries(options);
  if (!entries) return entries.error();
  auto overlay = packer::build_overlay(std::move(*entries));
  if (!overlay) return overlay.error();
  return packer::assemble(initrd, *overlay, out);
}

}  // namespace kgrid::host
