// Shell quoting, once: for the command lines kgrid prints and writes
// (qemu.cmd, build logs, generated wrapper scripts). A word made only of
// safe characters stays as it is; anything else is single-quoted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kgrid {

std::string shell_quote(std::string_view word);
std::string shell_quote(const std::vector<std::string>& argv);  // words joined by spaces

}  // namespace kgrid
