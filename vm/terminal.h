// The user's terminal during an interactive session (kgrid shell, kgrid repro
// --shell): raw mode while the guest owns the keyboard, so Ctrl-C, Ctrl-Z and
// arrow keys reach the guest as bytes, and the saved settings restored
// whatever way the session ends.
#pragma once

#include <termios.h>

#include <optional>

namespace kgrid::host {

struct WindowSize {
  int rows = 0;
  int cols = 0;
};

// The terminal's size, if `fd` is a terminal that knows it.
std::optional<WindowSize> window_size(int fd);

// Puts a terminal in raw mode for as long as the object lives. On a file
// descriptor that is not a terminal (a pipe, a file) it does nothing.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  // True if the terminal was switched to raw mode (and will be restored).
  bool active() const { return active_; }
  // Restores the saved settings now; the destructor then does nothing.
  void restore();

 private:
  int fd_;
  bool active_ = false;
  termios saved_{};
};

// The settings RawTerminal applies: cfmakeraw, but output processing stays on
// so that kgrid's own "\n" still starts a new line.
termios raw_settings(const termios& original);

}  // namespace kgrid::host
