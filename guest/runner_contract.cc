#include "guest/runner_contract.h"

#include <sys/wait.h>

#include <cstring>

#include "common/protocol.h"

namespace kgrid::init {

std::optional<std::string> runner_crash_reason(int wait_status) {
  if (WIFEXITED(wait_status)) {
    int code = WEXITSTATUS(wait_status);
    if (code == kExitEndSent) return std::nullopt;
    if (code == 127) return "testrunner could not be started (exit status 127)";
    return "testrunner exited with status " + std::to_string(code) + " without sending END";
  }
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* name = ::strsignal(sig);
    return "testrunner killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "testrunner stopped with wait status " + std::to_string(wait_status);
}

BootOptions parse_boot_options(std::string_view cmdline) {
  BootOptions options;
  options.nonce = protocol::nonce_from_cmdline(cmdline);
  size_t i = 0;
  while (i < cmdline.size()) {
    size_t end = cmdline.find_first_of(" \t\n", i);
    if (end == std::string_view::npos) end = cmdline.size();
    std::string_view word = cmdline.substr(i, end - i);
    if (word == "kgrid.shell=1") options.shell = true;
    if (word == "kgrid.shell=after") options.shell_after_tests = true;
    if (word == "kgrid.stop_on_fail=1") options.stop_on_fail = true;
    i = end + 1;
  }
  return options;
}

}  // namespace kgrid::init
