#include "vm/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace kgrid::host {

std::optional<WindowSize> window_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return std::nullopt;
  return WindowSize{ws.ws_row, ws.ws_col};
}

termios raw_settings(const termios& original) {
  termios raw = original;
  ::cfmakeraw(&raw);
  raw.c_oflag |= OPOST;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  return raw;
}

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd_) || ::tcgetattr(fd_, &saved_) != 0) return;
  termios raw = raw_settings(saved_);
  int rc;
  do rc = ::tcsetattr(fd_, TCSADRAIN, &raw);
  while (rc != 0 && errno == EINTR);
  active_ = rc == 0;
}

RawTerminal::~RawTerminal() { restore(); }

void RawTerminal::restore() {
  if (!active_) return;
  active_ = false;
  int rc;
  do rc = ::tcsetattr(fd_, TCSADRAIN, &saved_);
  while (rc != 0 && errno == EINTR);
}

}  // namespace kgrid::host
