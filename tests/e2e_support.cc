#include "tests/e2e_support.h"

#include <dirent.h>
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace kgrid::e2e {

namespace fs = std::filesystem;

namespace {
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

Command run_kgrid(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::string cmd;
  if (!env.empty()) {
    cmd = "env";
    for (const auto& e : env) cmd += " " + quote(e);
    cmd += " ";
  }
  cmd += quote(std::string(KGRID_BIN_DIR) + "/kgrid");
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>&1";
  Command result;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  int status = ::pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

OutDir::OutDir(const std::string& name) {
  path_ = fs::path(KGRID_BIN_DIR).parent_path() / "e2e-out" / name;
  fs::remove_all(path_);
  fs::create_directories(path_.parent_path());
}

OutDir::~OutDir() {
  if (!std::getenv("KGRID_KEEP_E2E")) fs::remove_all(path_);
}

std::string fetch_kernel(const std::string& selector) {
  Command c = run_kgrid({"kernels", "fetch", selector});
  INFO(c.output);
  REQUIRE(c.exit_code == 0);
  auto pos = c.output.find("image:");
  REQUIRE(pos != std::string::npos);
  std::string rest = c.output.substr(pos + 6);
  rest = rest.substr(rest.find_first_not_of(' '));
  return rest.substr(0, rest.find('\n'));
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

results::RunResults read_results(const fs::path& out) {
  REQUIRE(fs::exists(out / "results.json"));
  std::string text = slurp(out / "results.json");
  auto run = results::from_json(text);
  INFO(text);
  REQUIRE(run.ok());
  return *run;
}

int count_processes_mentioning(const std::string& needle) {
  int count = 0;
  DIR* d = ::opendir("/proc");
  if (!d) return 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    if (cmdline.find("qemu-system") != std::string::npos && cmdline.find(needle) != std::string::npos) ++count;
  }
  ::closedir(d);
  return count;
}

const results::TestResult* find_test(const results::KernelResult& k, const std::string& name) {
  for (const auto& t : k.tests)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace kgrid::e2e
