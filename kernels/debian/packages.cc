#include "kernels/debian/packages.h"
#include "common/text.h"

#include <charconv>
#include <deque>
#include <set>

namespace kgrid::kernels {
namespace {

DebFile deb_file(const PackageEntry& e, std::string path_in_deb) {
  return DebFile{e.name, e.version, e.filename, e.size, e.sha256, std::move(path_in_deb)};
}

// For a package that holds a kernel image: its layout and ABI.
bool image_holder(const PackageEntry& e, std::string* layout, std::string* abi) {
  if (e.size < kMetapackageMaxSize) return false;
  std::string_view n = e.name;
  if (n.starts_with("linux-image-")) {
    n.remove_prefix(12);
    if (n.ends_with("-unsigned")) n.remove_suffix(9);
    *layout = "boot";
  } else if (n.starts_with("linux-binary-")) {
    n.remove_prefix(13);
    if (n.starts_with("unsigned-")) n.remove_prefix(9);
    *layout = "modules";
  } else {
    return false;
  }
  if (n.empty()) return false;
  *abi = std::string(n);
  return true;
}

}  // namespace

bool is_kernel_package_name(std::string_view name) {
  return name.starts_with("linux-image-") || name.starts_with("linux-binary-") ||
         name.starts_with("linux-base-");
}

void PackagesParser::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    if (partial_.empty()) {
      line(chunk.substr(0, nl));
    } else {
      partial_.append(chunk.substr(0, nl));
      line(partial_);
      partial_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

void PackagesParser::finish() {
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    line(last);
  }
  end_stanza();
}

void PackagesParser::line(std::string_view l) {
  if (trim(l).empty()) {
    end_stanza();
    return;
  }
  if (l.front() == ' ' || l.front() == '\t') return;  // continuation (Description)
  size_t colon = l.find(':');
  if (colon == std::string_view::npos) return;
  std::string_view key = l.substr(0, colon);
  std::string_view value = trim(l.substr(colon + 1));
  in_stanza_ = true;
  if (key == "Package") cur_.name = value;
  else if (key == "Version") cur_.version = value;
  else if (key == "Source") cur_.source = value;
  else if (key == "Depends") cur_.depends = value;
  else if (key == "Filename") cur_.filename = value;
  else if (key == "SHA256") cur_.sha256 = value;
  else if (key == "Size") std::from_chars(value.data(), value.data() + value.size(), cur_.size);
}

void PackagesParser::end_stanza() {
  if (!in_stanza_) return;
  if (!cur_.name.empty() && (!keep_ || keep_(cur_.name))) sink_(std::move(cur_));
  cur_ = PackageEntry{};
  in_stanza_ = false;
}

PackageIndex parse_packages(std::string_view text, const PackagesParser::Keep& keep) {
  PackageIndex index;
  PackagesParser p([&](PackageEntry&& e) { index[e.name] = std::move(e); }, keep);
  p.feed(text);
  p.finish();
  return index;
}

std::vector<std::string> first_alternatives(std::string_view depends) {
  std::vector<std::string> out;
  while (!depends.empty()) {
    size_t comma = depends.find(',');
    std::string_view entry = depends.substr(0, comma);
    depends = comma == std::string_view::npos ? std::string_view() : depends.substr(comma + 1);
    entry = trim(entry.substr(0, entry.find('|')));
    size_t end = entry.find_first_of(" \t(:[<");
    std::string_view name = trim(entry.substr(0, end));
    if (!name.empty()) out.emplace_back(name);
  }
  return out;
}

Result<KernelResolution> resolve_kernel(const PackageIndex& index, std::string_view package) {
  auto start = index.find(package);
  if (start == index.end()) {
    return make_error("no package " + std::string(package) + " in the index");
  }
  std::deque<std::string> queue{std::string(package)};
  std::set<std::string, std::less<>> seen{std::string(package)};
  std::string followed;
  while (!queue.empty()) {
    auto it = index.find(queue.front());
    queue.pop_front();
    if (it == index.end()) continue;  // a dependency missing from the index
    const PackageEntry& e = it->second;
    followed += (followed.empty() ? "" : ", ") + e.name;

    KernelResolution r;
    if (image_holder(e, &r.layout, &r.abi)) {
      r.package = start->second.name;
      r.version = start->second.version;
      if (r.layout == "boot") {
        r.image = deb_file(e, "boot/vmlinuz-" + r.abi);
        r.config = deb_file(e, "boot/config-" + r.abi);
      } else {
        const std::string base_name = "linux-base-" + r.abi;
        auto base = index.find(base_name);
        if (base == index.end()) {
          return make_error(e.name + " holds the kernel, but its config package " + base_name +
                            " is not in the index");
        }
        r.image = deb_file(e, "usr/lib/modules/" + r.abi + "/vmlinuz");
        r.config = deb_file(base->second, "usr/lib/modules/" + r.abi + "/config");
      }
      for (const DebFile* f : {&r.image, &r.config}) {
        if (f->filename.empty() || f->sha256.size() != 64) {
          return make_error("index entry for " + f->package + " lacks Filename or SHA256");
        }
      }
      return r;
    }
    for (auto& dep : first_alternatives(e.depends)) {
      if (is_kernel_package_name(dep) && seen.insert(dep).second) queue.push_back(dep);
    }
  }
  return make_error(std::string(package) + " does not lead to a kernel image (followed " +
                    followed + "; a kernel package is linux-image-<abi> or linux-binary-<abi> of " +
                    "at least 1 MiB)");
}

}  // namespace kgrid::kernels
