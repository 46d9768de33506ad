#include "compile/external.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "compile/headers.h"
#include "compile/steps.h"
#include "kernels/sha256.h"
#include "common/text.h"

namespace kgrid::host {

namespace fs = std::filesystem;

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '+' || c == '-';
}

bool valid_name(const std::string& n) {
  return !n.empty() && n.size() <= 64 && n[0] != '.' && n[0] != '-' && std::all_of(n.begin(), n.end(), name_char);
}

std::string default_name(const fs::path& src) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(fs::absolute(src, ec), ec);
  std::string n = canonical.filename().string();
  for (char& c : n)
    if (!name_char(c)) c = '_';
  while (!n.empty() && (n[0] == '.' || n[0] == '-')) n.erase(0, 1);
  if (n.size() > 64) n.resize(64);
  return n.empty() ? "driver" : n;
}

}  // namespace

Result<ExternalDriverOptions> check_external_options(const ExternalDriverOptions& options) {
  ExternalDriverOptions o = options;
  if (o.src.empty())
    return make_error("--build-cmd, --driver-name, --driver-kind and --artifact need --driver-src DIR (the driver's source tree)");
  std::error_code ec;
  if (!fs::exists(o.src, ec)) return make_error("--driver-src " + o.src.string() + ": no such directory");
  if (!fs::is_directory(o.src, ec)) return make_error("--driver-src " + o.src.string() + ": not a directory");
  if (o.cmd.find_first_not_of(" \t\n") == std::string::npos)
    return make_error(std::string("--build-cmd is ") + (o.cmd.empty() ? "missing" : "empty") +
                      ": give the command that builds the driver in $SRC, e.g. "
                      "'make -C \"$KERNEL_DIR\" M=\"$SRC\" CC=\"$CC\" modules'");
  if (o.kind.empty()) o.kind = "kmod";
  if (o.kind != "kmod" && o.kind != "bpf") return make_error("--driver-kind " + o.kind + ": expected kmod or bpf");
  if (o.name.empty()) o.name = default_name(o.src);
  if (!valid_name(o.name))
    return make_error("--driver-name '" + o.name +
                      "': use up to 64 letters, digits and _ . + - (not first . or -); it names files and tests");
  if (o.artifact.empty()) o.artifact = o.kind == "kmod" ? "*.ko" : "*.o";
  fs::path pattern(o.artifact);
  if (pattern.is_absolute()) return make_error("--artifact " + o.artifact + ": must be relative to $OUT");
  for (const auto& part : pattern)
    if (part == "..") return make_error("--artifact " + o.artifact + ": may not leave $OUT (..)");
  return o;
}

Result<ExternalDriver> prepare_external_driver(const ExternalDriverOptions& options, const fs::path& out) {
  auto o = check_external_options(options);
  if (!o) return o.error();
  std::error_code ec;
  ExternalDriver d;
  d.src = fs::canonical(o->src, ec);
  if (ec) return make_error("--driver-src " + o->src.string() + ": " + ec.message());
  d.cmd = o->cmd;
  d.name = o->name;
  d.kind = o->kind;
  d.artifact = o->artifact;
  std::vector<fs::path> exclude;
  if (!out.empty()) exclude.push_back(fs::weakly_canonical(fs::absolute(out, ec), ec));
  auto tree = list_source_tree(d.src, exclude);
  if (!tree) return tree.error();
  d.tree = std::move(*tree);
  auto hash = hash_source_tree(d.src, d.tree);
  if (!hash) return hash.error();
  d.tree_hash = *hash;
  return d;
}

Result<std::vector<TreeEntry>> list_source_tree(const fs::path& root, const std::vector<fs::path>& exclude) {
  std::vector<TreeEntry> entries;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return make_error("cannot read " + root.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path& p = it->path();
    bool skip = p.filename() == ".git" || std::find(exclude.begin(), exclude.end(), p) != exclude.end();
    fs::file_status st = it->symlink_status(ec);
    if (ec) return make_error("cannot read " + p.string() + ": " + ec.message());
    if (skip) {
      if (fs::is_directory(st)) it.disable_recursion_pending();
      continue;
    }
    TreeEntry e;
    e.rel = p.lexically_relative(root);
    if (fs::is_symlink(st)) {
      e.type = TreeEntry::Type::Symlink;
      e.link = fs::read_symlink(p, ec);
      if (ec) return make_error("cannot read the link " + p.string() + ": " + ec.message());
    } else if (fs::is_directory(st)) {
      e.type = TreeEntry::Type::Dir;
    } else if (fs::is_regular_file(st)) {
      e.exec = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
    } else {
      continue;  // fifos, sockets, devices: nothing a build reads
    }
    entries.push_back(std::move(e));
  }
  if (ec) return make_error("cannot read " + root.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.rel < b.rel; });
  return entries;
}

Result<std::string> hash_source_tree(const fs::path& root, const std::vector<TreeEntry>& tree) {
  kernels::Sha256 h;
  h.update("kgrid-source-tree-v1\n");
  std::vector<char> buf(1 << 16);
  for (const TreeEntry& e : tree) {
    switch (e.type) {
      case TreeEntry::Type::Dir: h.update("D " + e.rel.string() + "\n"); break;
      case TreeEntry::Type::Symlink: h.update("L " + e.rel.string() + "\n" + e.link.string() + "\n"); break;
      case TreeEntry::Type::File: {
        std::error_code ec;
        auto size = fs::file_size(root / e.rel, ec);
        std::ifstream in(root / e.rel, std::ios::binary);
        if (ec || !in) return make_error("cannot read " + (root / e.rel).string());
        h.update("F " + e.rel.string() + "\n" + (e.exec ? "x" : "-") + std::to_string(size) + "\n");
        while (in) {
          in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
          h.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
        }
        break;
      }
    }
  }
  return h.hex_digest();
}

Status copy_source_tree(const fs::path& root, const std::vector<TreeEntry>& tree, const fs::path& dest) {
  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec) return make_error("cannot create " + dest.string() + ": " + ec.message());
  for (const TreeEntry& e : tree) {
    const fs::path to = dest / e.rel;
    switch (e.type) {
      case TreeEntry::Type::Dir: fs::create_directories(to, ec); break;
      case TreeEntry::Type::Symlink: fs::create_symlink(e.link, to, ec); break;
      case TreeEntry::Type::File: fs::copy_file(root / e.rel, to, fs::copy_options::overwrite_existing, ec); break;
    }
    if (ec) return make_error("cannot copy " + (root / e.rel).string() + " to " + to.string() + ": " + ec.message());
  }
  return ok_status();
}

std::vector<fs::path> match_artifacts(const fs::path& dir, const std::string& pattern) {
  std::vector<fs::path> found;
  const int depth = static_cast<int>(std::count(pattern.begin(), pattern.end(), '/'));
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() >= depth) it.disable_recursion_pending();
    std::error_code file_ec;
    if (it.depth() != depth || !it->is_regular_file(file_ec)) continue;
    std::string rel = it->path().lexically_relative(dir).string();
    if (::fnmatch(pattern.c_str(), rel.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string check_artifact_kind(const fs::path& file, const std::string& kind) {
  unsigned char h[20] = {};
  std::ifstream in(file, std::ios::binary);
  in.read(reinterpret_cast<char*>(h), sizeof h);
  const std::string name = file.filename().string();
  if (in.gcount() < static_cast<std::streamsize>(sizeof h) || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
    return name + " is not an ELF file";
  auto half = [&](int at) { return h[5] == 2 ? (h[at] << 8) | h[at + 1] : h[at] | (h[at + 1] << 8); };
  constexpr int kRelocatable = 1, kBpf = 247;
  if (half(16) != kRelocatable) return name + " is not a relocatable ELF object (a .ko or .o)";
  if (kind == "bpf" && half(18) != kBpf)
    return name + " is not a BPF object (ELF machine " + std::to_string(half(18)) + "); is --driver-kind right?";
  if (kind == "kmod" && half(18) == kBpf) return name + " is a BPF object, not a kernel module: use --driver-kind bpf";
  return "";
}

std::vector<std::string> external_build_env(const ExternalDriver& driver, const std::string& kernel_id,
                                            const HeaderTree& tree, const Compiler& compiler, const fs::path& src,
                                            const fs::path& out) {
  std::vector<std::string> env = {
      "KERNEL_DIR=" + tree.build_dir.string(),
      "KERNEL_SRC=" + tree.src_dir.string(),
      "KERNEL_RELEASE=" + tree.release,
      "KERNEL_ID=" + kernel_id,
      "ARCH=" + tree.arch,
      "CC=" + compiler.cc.string(),
      "COMPILER=" + compiler.name,
      "KGRID_MAKE_ARGS=" + join(kbuild_make_vars(tree, compiler)),
      "KERNEL_INCLUDES=" + join(kernel_include_flags(tree)),
      "SRC=" + src.string(),
      "OUT=" + out.string(),
      "DRIVER_NAME=" + driver.name,
  };
  if (compiler.family == "clang") {
    env.push_back("CLANG=" + compiler.cc.string());
    env.push_back("LLC=" + compiler.llc.string());
  }
  return env;
}

}  // namespace kgrid::host
