#include "host/grid.h"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace kgrid::host {

Result<std::vector<KernelRef>> parse_grid(std::string_view text, const std::filesystem::path& base_dir,
                                          const std::string& name) {
  toml::table table;
  try {
    table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return make_error(os.str());
  }
  for (auto&& [key, value] : table) {
    if (key != "kernel" && key != "name" && key != "description")
      return make_error(name + ": unknown key '" + std::string(key.str()) + "' (expected [[kernel]] entries)");
    (void)value;
  }
  const toml::array* kernels = table["kernel"].as_array();
  if (!kernels || kernels->empty()) return make_error(name + ": no [[kernel]] entries");

  std::vector<KernelRef> refs;
  size_t index = 0;
  for (const auto& node : *kernels) {
    std::string where = name + ": kernel[" + std::to_string(index++) + "]";
    const toml::table* entry = node.as_table();
    if (!entry) return make_error(where + ": expected a table");
    int kinds = 0;
    for (auto&& [key, value] : *entry) {
      std::string k(key.str());
      if (k != "debian" && k != "path" && k != "dir")
        return make_error(where + ": unknown key '" + k + "' (expected debian, path or dir)");
      auto s = value.value<std::string>();
      if (!s || s->empty()) return make_error(where + "." + k + ": expected a non-empty string");
      ++kinds;
      KernelRef ref;
      if (k == "debian") {
        ref.kind = KernelRef::Kind::Debian;
        ref.value = "debian:" + *s;
      } else {
        ref.kind = k == "path" ? KernelRef::Kind::File : KernelRef::Kind::Dir;
        std::filesystem::path p(*s);
        ref.value = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
      }
      refs.push_back(std::move(ref));
    }
    if (kinds != 1) return make_error(where + ": needs exactly one of debian, path or dir");
  }
  return refs;
}

Result<std::vector<KernelRef>> load_grid(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("cannot read grid file " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_grid(ss.str(), file.parent_path(), file.string());
}

}  // namespace kgrid::host
