// Host-side checks of the probes that need no VM and no BPF privileges:
// the BPF object's programs, maps and CO-RE relocations, kgrid-gen's ground
// truth, kgrid-probe's flag handling and report format, and that both guest
// binaries are static.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <linux/types.h>

#include <cstddef>

#include "bpf/kgrid_legacy.h"
#include "consumer/counts.h"
#include "kmod/kgrid_kmod.h"
#include "consumer/options.h"

namespace {

using kgrid::probe::Counts;
using kgrid::probe::Fault;
using kgrid::probe::parse_options;

const std::string kBin = KGRID_BIN_DIR;

struct Run {
  int status = -1;  // exit status, or -1 if it did not exit normally
  pid_t pid = 0;
  std::string out;
};

// Runs argv with stdout captured and stderr sent to /dev/null.
Run run(const std::vector<std::string>& argv) {
  Run r;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  r.pid = fork();
  REQUIRE(r.pid >= 0);
  if (r.pid == 0) {
    dup2(fds[1], 1);
    FILE* null = freopen("/dev/null", "w", stderr);
    (void)null;
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(r.pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The contents of the named section of a 64-bit little-endian ELF file, or
// "" if there is none.
std::string elf_section(const std::string& elf, const std::string& name) {
  Elf64_Ehdr eh;
  REQUIRE(elf.size() >= sizeof eh);
  memcpy(&eh, elf.data(), sizeof eh);
  REQUIRE(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
  auto shdr = [&](size_t i) {
    size_t off = eh.e_shoff + size_t{eh.e_shentsize} * i;
    REQUIRE(off + sizeof(Elf64_Shdr) <= elf.size());
    Elf64_Shdr sh;
    memcpy(&sh, elf.data() + off, sizeof sh);
    return sh;
  };
  const Elf64_Shdr strtab = shdr(eh.e_shstrndx);
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    const Elf64_Shdr sh = shdr(i);
    REQUIRE(strtab.sh_offset + sh.sh_name < elf.size());
    if (name == elf.c_str() + strtab.sh_offset + sh.sh_name) {
      REQUIRE(sh.sh_offset + sh.sh_size <= elf.size());
      return elf.substr(sh.sh_offset, sh.sh_size);
    }
  }
  return "";
}

}  // namespace

TEST_CASE("kgrid-probe options") {
  auto d = parse_options({});
  REQUIRE(d.ok());
  CHECK(d->driver == "modern_bpf");
  CHECK(d->fault == Fault::none);
  CHECK(d->duration_s == 0);

  auto o = parse_options({"--driver", "modern_bpf", "--fault", "verifier", "--duration-s", "7"});
  REQUIRE(o.ok());
  CHECK(o->fault == Fault::verifier);
  CHECK(o->duration_s == 7);
  CHECK(parse_options({"--fault", "nocapture"})->fault == Fault::nocapture);

  CHECK_FALSE(parse_options({"--fault", "bogus"}).ok());
  CHECK_FALSE(parse_options({"--fault"}).ok());
  CHECK_FALSE(parse_options({"--duration-s", "0"}).ok());
  CHECK_FALSE(parse_options({"--duration-s", "3x"}).ok());
  CHECK_FALSE(parse_options({"--bogus"}).ok());
}

TEST_CASE("kgrid-probe options of the per-kernel drivers: bpf needs --object, kmod --module") {
  auto b = parse_options({"--driver", "bpf", "--object", "/kgrid/drivers/bpf-clang-14.o", "--fault", "verifier"});
  REQUIRE(b.ok());
  CHECK(b->object == "/kgrid/drivers/bpf-clang-14.o");
  CHECK(b->fault == Fault::verifier);
  auto k = parse_options({"--driver", "kmod", "--module", "/kgrid/drivers/kmod-gcc-12.ko", "--fault", "oops"});
  REQUIRE(k.ok());
  CHECK(k->module == "/kgrid/drivers/kmod-gcc-12.ko");
  CHECK(k->fault == Fault::oops);

  CHECK_FALSE(parse_options({"--driver", "bpf"}).ok());
  CHECK_FALSE(parse_options({"--driver", "kmod"}).ok());
  CHECK_FALSE(parse_options({"--driver", "kmod", "--module", "m.ko", "--fault", "verifier"}).ok());
  CHECK_FALSE(parse_options({"--driver", "bpf", "--object", "o.o", "--fault", "oops"}).ok());
  CHECK_FALSE(parse_options({"--fault", "oops"}).ok());  // modern_bpf
  CHECK_FALSE(parse_options({"--object", "o.o"}).ok());  // modern_bpf's object is built in
  CHECK_FALSE(parse_options({"--driver", "kmod", "--module"}).ok());
}

TEST_CASE("the per-kernel drivers' records have the layout the consumer reads") {
  CHECK(sizeof(kgrid_kmod_event) == 8);
  CHECK(offsetof(kgrid_kmod_event, nr) == 4);
  CHECK(sizeof(kgrid_kmod_stats) == 16);
  CHECK(sizeof(kgrid_legacy_event) == 8);
  CHECK(sizeof(kgrid_legacy_config) == 8);
}

TEST_CASE("kgrid-probe report format") {
  Counts c;
  c.add(20, 39);
  c.add(7, 110);
  c.add(20, 39);
  c.add(20, -1);
  CHECK(c.events() == 4);
  CHECK(c.get(20, 39) == 2);
  CHECK(c.get(1, 1) == 0);
  CHECK(c.report(3, 1) ==
        "kgrid-probe: stat events=4 drops=3 lost=1\n"
        "kgrid-probe: count tgid=7 nr=110 n=1\n"
        "kgrid-probe: count tgid=20 nr=-1 n=1\n"
        "kgrid-probe: count tgid=20 nr=39 n=2\n"
        "kgrid-probe: done\n");
  CHECK(Counts().report(0, 0) == "kgrid-probe: stat events=0 drops=0 lost=0\nkgrid-probe: done\n");
}

TEST_CASE("kgrid-probe rejects bad flags before touching BPF") {
  CHECK(run({kBin + "/kgrid-probe", "--fault", "bogus"}).status == 2);
  CHECK(run({kBin + "/kgrid-probe", "--driver", "kmod"}).status == 2);
  // A missing driver file fails at "open", before any BPF or module syscall.
  CHECK(run({kBin + "/kgrid-probe", "--driver", "kmod", "--module", "/nonexistent/kgrid_kmod.ko"}).status == 1);
  CHECK(run({kBin + "/kgrid-probe", "--driver", "bpf", "--object", "/nonexistent/kgrid_legacy.o"}).status == 1);
}

TEST_CASE("BPF object: programs and maps") {
  libbpf_set_print(nullptr);
  bpf_object* obj = bpf_object__open_file(KGRID_PROBE_BPF_OBJ, nullptr);
  REQUIRE(obj != nullptr);

  bpf_program* main_prog = bpf_object__find_program_by_name(obj, "kgrid_sys_enter");
  REQUIRE(main_prog != nullptr);
  CHECK(std::string(bpf_program__section_name(main_prog)) == "tp/raw_syscalls/sys_enter");
  CHECK(bpf_program__autoload(main_prog));

  // The verifier fault is in the object but off unless asked for.
  bpf_program* fault_prog = bpf_object__find_program_by_name(obj, "kgrid_fault_verifier");
  REQUIRE(fault_prog != nullptr);
  CHECK_FALSE(bpf_program__autoload(fault_prog));

  bpf_map* events = bpf_object__find_map_by_name(obj, "events");
  REQUIRE(events != nullptr);
  CHECK(bpf_map__type(events) == BPF_MAP_TYPE_RINGBUF);
  CHECK(bpf_map__max_entries(events) >= (1u << 20));
  bpf_map* drops = bpf_object__find_map_by_name(obj, "drops");
  REQUIRE(drops != nullptr);
  CHECK(bpf_map__type(drops) == BPF_MAP_TYPE_PERCPU_ARRAY);
  CHECK(bpf_map__value_size(drops) == 8);

  // The consumer's settings live in read-only data, frozen before the
  // verifier runs, so nocapture prunes the submit path in the kernel.
  const btf* b = bpf_object__btf(obj);
  REQUIRE(b != nullptr);
  CHECK(btf__find_by_name_kind(b, "kgrid_self_tgid", BTF_KIND_VAR) > 0);
  CHECK(btf__find_by_name_kind(b, "kgrid_fault_nocapture", BTF_KIND_VAR) > 0);
  bpf_object__close(obj);
}

TEST_CASE("BPF object: the syscall nr is read through a CO-RE relocation") {
  btf* b = btf__parse_elf(KGRID_PROBE_BPF_OBJ, nullptr);
  REQUIRE(b != nullptr);
  const std::string ext = elf_section(read_file(KGRID_PROBE_BPF_OBJ), ".BTF.ext");

  // .BTF.ext layout (kernel docs, Documentation/bpf/btf.rst): a header whose
  // optional tail holds core_relo_off/len, then per section
  // {sec_name_off, num_info} followed by num_info records of
  // {insn_off, type_id, access_str_off, kind}.
  const size_t size = ext.size();
  const auto* raw = reinterpret_cast<const unsigned char*>(ext.data());
  auto u32_at = [&](size_t off) {
    REQUIRE(off + 4 <= size);
    __u32 v;
    memcpy(&v, raw + off, 4);
    return v;
  };
  __u32 hdr_len = u32_at(4);
  REQUIRE(hdr_len >= 32);
  size_t pos = hdr_len + u32_at(24);
  const size_t end = pos + u32_at(28);
  REQUIRE(end <= size);
  REQUIRE(end > pos);
  __u32 rec_size = u32_at(pos);
  REQUIRE(rec_size >= 16);
  pos += 4;

  bool found = false;
  while (pos < end) {
    std::string sec = btf__name_by_offset(b, u32_at(pos));
    __u32 n = u32_at(pos + 4);
    pos += 8;
    for (__u32 i = 0; i < n; ++i, pos += rec_size) {
      const btf_type* t = btf__type_by_id(b, u32_at(pos + 4));
      REQUIRE(t != nullptr);
      std::string type = btf__name_by_offset(b, t->name_off);
      std::string access = btf__name_by_offset(b, u32_at(pos + 8));
      __u32 kind = u32_at(pos + 12);
      if (sec == "tp/raw_syscalls/sys_enter" && type == "trace_event_raw_sys_enter" && access == "0:0" &&
          kind == 0 /* BPF_CORE_FIELD_BYTE_OFFSET */)
        found = true;
    }
  }
  CHECK(found);
  btf__free(b);
}

TEST_CASE("kgrid-gen prints its ground truth") {
  Run r = run({kBin + "/kgrid-gen", "--getppid", "7", "--getpgid", "0", "--sched-yield", "3"});
  REQUIRE(r.status == 0);
  CHECK(r.out == "kgrid-gen: pid=" + std::to_string(r.pid) + "\n" +
                     "kgrid-gen: syscall nr=" + std::to_string(SYS_getppid) + " name=getppid n=7\n" +
                     "kgrid-gen: syscall nr=" + std::to_string(SYS_getpgid) + " name=getpgid n=0\n" +
                     "kgrid-gen: syscall nr=" + std::to_string(SYS_sched_yield) + " name=sched_yield n=3\n" +
                     "kgrid-gen: done\n");

  Run d = run({kBin + "/kgrid-gen"});
  REQUIRE(d.status == 0);
  CHECK(d.out.find(" name=getppid n=5000\n") != std::string::npos);
  CHECK(d.out.find(" name=getpgid n=3000\n") != std::string::npos);
  CHECK(d.out.find(" name=sched_yield n=2000\n") != std::string::npos);

  CHECK(run({kBin + "/kgrid-gen", "--getppid"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--getppid", "-1"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bogus", "1"}).status == 2);
}

TEST_CASE("kgrid-gen --bench times rounds of N getppid calls and prints no ground truth") {
  Run r = run({kBin + "/kgrid-gen", "--bench", "2000"});
  REQUIRE(r.status == 0);
  std::string head = "kgrid-gen: pid=" + std::to_string(r.pid) + "\n" +
                     "kgrid-gen: bench syscall=getppid nr=" + std::to_string(SYS_getppid) + " ops=2000 ns=";
  CHECK(r.out.compare(0, head.size(), head) == 0);
  CHECK(r.out.find(" ns_per_op=") != std::string::npos);
  CHECK(r.out.find(" running_ns=") != std::string::npos);
  CHECK(r.out.find(" ref_ns=") != std::string::npos);
  CHECK(r.out.find(" chunks=40 preempted=") != std::string::npos);  // 2000 calls in chunks of 50
  CHECK(r.out.find("kgrid-gen: syscall ") == std::string::npos);
  const std::string done = "kgrid-gen: done\n";
  REQUIRE(r.out.size() > done.size());
  CHECK(r.out.substr(r.out.size() - done.size()) == done);


  Run rounds = run({kBin + "/kgrid-gen", "--bench", "100", "--rounds", "3"});
  REQUIRE(rounds.status == 0);
  size_t lines = 0;
  for (size_t at = 0; (at = rounds.out.find("kgrid-gen: bench ", at)) != std::string::npos; ++at) ++lines;
  CHECK(lines == 3);

  CHECK(run({kBin + "/kgrid-gen", "--bench"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bench", "0"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bench", "10", "--getppid", "1"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bench", "10", "--rounds", "0"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bench", "10", "--rounds", "101"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bench", "1000001"}).status == 2);
  CHECK(run({kBin + "/kgrid-gen", "--bench", "10", "--rounds"}).status == 2);
}

TEST_CASE("guest binaries are static") {
  for (const char* name : {"kgrid-probe", "kgrid-gen"}) {
    CAPTURE(name);
    std::string elf = read_file(kBin + "/" + name);
    REQUIRE(elf.size() > sizeof(Elf64_Ehdr));
    Elf64_Ehdr eh;
    memcpy(&eh, elf.data(), sizeof eh);
    REQUIRE(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
    REQUIRE(eh.e_ident[EI_CLASS] == ELFCLASS64);
    bool interp = false, dynamic = false;
    for (int i = 0; i < eh.e_phnum; ++i) {
      size_t off = eh.e_phoff + size_t{eh.e_phentsize} * i;
      REQUIRE(off + sizeof(Elf64_Phdr) <= elf.size());
      Elf64_Phdr ph;
      memcpy(&ph, elf.data() + off, sizeof ph);
      interp |= ph.p_type == PT_INTERP;
      dynamic |= ph.p_type == PT_DYNAMIC;
    }
    bool symtab = false;
    for (int i = 0; i < eh.e_shnum; ++i) {
      size_t off = eh.e_shoff + size_t{eh.e_shentsize} * i;
      REQUIRE(off + sizeof(Elf64_Shdr) <= elf.size());
      Elf64_Shdr sh;
      memcpy(&sh, elf.data() + off, sizeof sh);
      symtab |= sh.sh_type == SHT_SYMTAB;
    }
    CHECK_FALSE(interp);
    CHECK_FALSE(dynamic);
    CHECK_FALSE(symtab);  // stripped
  }
}
