#include "cli/status.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace kgrid::host {

StatusPrinter::StatusPrinter(FILE* out) : out_(out) {
  const char* term = std::getenv("TERM");
  smart_ = ::isatty(fileno(out)) && term && std::strcmp(term, "dumb") != 0;
  color_ = smart_;
  if (std::getenv("NO_COLOR")) color_ = false;
  const char* force = std::getenv("CLICOLOR_FORCE");
  if (force && std::strcmp(force, "0") != 0) color_ = true;
}

void StatusPrinter::status(const std::string& line) {
  if (!smart_) return;
  winsize ws{};
  size_t width = 80;
  if (::ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) width = ws.ws_col;
  std::string shown = line.size() >= width ? line.substr(0, width - 1) : line;
  std::fprintf(out_, "\r%s\x1b[K", shown.c_str());
  std::fflush(out_);
  have_status_ = true;
}

void StatusPrinter::print(const std::string& line) {
  if (smart_ && have_status_) std::fputs("\r\x1b[K", out_);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  have_status_ = false;
}

std::string StatusPrinter::verdict(results::Verdict v) const {
  std::string name = results::verdict_name(v);
  if (!color_) return name;
  const char* code = v == results::Verdict::Pass ? "32" : v == results::Verdict::Skip ? "33" : "31;1";
  return std::string("\x1b[") + code + "m" + name + "\x1b[0m";
}

void StatusPrinter::finish() {
  if (smart_ && have_status_) {
    std::fputs("\r\x1b[K", out_);
    std::fflush(out_);
  }
  have_status_ = false;
}

}  // namespace kgrid::host
