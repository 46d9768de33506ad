#include "kernels/image/vmlinux_elf.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"
#include "kernels/image/vmlinux_testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

TEST_CASE("the PVH entry note is found among other notes, as a 64-bit or 32-bit value") {
  for (size_t bytes : {8u, 4u}) {
    CAPTURE(bytes);
    ElfSpec spec;
    spec.pvh_desc_bytes = bytes;
    auto elf = read_vmlinux_elf(make_elf(spec));
    REQUIRE_MESSAGE(elf.ok(), why(elf));
    CHECK(elf->machine == 62);
    REQUIRE(elf->pvh_entry.has_value());
    CHECK(*elf->pvh_entry == spec.pvh_entry);
    CHECK(elf->loaded_bytes == spec.load_bytes);
    CHECK(elf->file_end == make_elf(spec).size());
  }
}

TEST_CASE("an ELF without the Xen note has no PVH entry") {
  ElfSpec spec;
  spec.pvh = false;
  auto elf = read_vmlinux_elf(make_elf(spec));
  REQUIRE_MESSAGE(elf.ok(), why(elf));
  CHECK_FALSE(elf->pvh_entry.has_value());
}

TEST_CASE("broken ELF files are refused with the reason") {
  const std::string good = make_elf();
  auto err = [](std::string_view data) {
    auto elf = read_vmlinux_elf(data);
    return elf.ok() ? std::string("(ok)") : elf.error().message;
  };
  CHECK(err("not an elf at all, just text") == "not an ELF file");
  CHECK(err(good.substr(0, 40)) == "truncated ELF header");
  CHECK(err(good.substr(0, 100)) == "the ELF program headers run past the end of the file");
  CHECK(err(good.substr(0, good.size() - 1)).find("runs past the end of the file (truncated?)") !=
        std::string::npos);

  std::string elf32 = good;
  elf32[4] = 1;
  CHECK(err(elf32) == "32-bit ELF, not a 64-bit vmlinux");

  // A note whose size points past its segment.
  std::string bad_note = good;
  const size_t notes_at = 64 + 2 * 56;
  bad_note[notes_at + 4] = '\x7f';  // descsz of the first note
  CHECK(err(bad_note).find("runs past its end") != std::string::npos);

  ElfSpec odd;
  odd.pvh_desc_bytes = 2;
  CHECK(err(make_elf(odd)).find("2-byte value") != std::string::npos);
}

TEST_CASE("reading from a file uses only the headers and names the file on error") {
  ScratchDir d;
  write_file(d.path() / "vmlinux", make_elf());
  auto elf = read_vmlinux_elf_file(d.path() / "vmlinux");
  REQUIRE_MESSAGE(elf.ok(), why(elf));
  CHECK(elf->pvh_entry.has_value());

  write_file(d.path() / "junk", "junk junk junk");
  auto junk = read_vmlinux_elf_file(d.path() / "junk");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().message == (d.path() / "junk").string() + ": not an ELF file");
  CHECK_FALSE(read_vmlinux_elf_file(d.path() / "missing").ok());
}
