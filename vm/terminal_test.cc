#include "vm/terminal.h"

#include <doctest/doctest.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace kgrid::host;

namespace {

struct Pty {
  int master = -1, slave = -1;
  Pty() {
    winsize ws{};
    ws.ws_row = 33;
    ws.ws_col = 101;
    REQUIRE(::openpty(&master, &slave, nullptr, nullptr, &ws) == 0);
  }
  ~Pty() {
    ::close(master);
    ::close(slave);
  }
};

termios settings(int fd) {
  termios t{};
  REQUIRE(::tcgetattr(fd, &t) == 0);
  return t;
}

}  // namespace

TEST_CASE("raw mode lets Ctrl-C through as a byte and the saved settings come back") {
  Pty pty;
  termios before = settings(pty.slave);
  CHECK((before.c_lflag & ISIG));
  {
    RawTerminal raw(pty.slave);
    CHECK(raw.active());
    termios during = settings(pty.slave);
    CHECK_FALSE((during.c_lflag & ISIG));
    CHECK_FALSE((during.c_lflag & ICANON));
    CHECK_FALSE((during.c_lflag & ECHO));
    CHECK((during.c_oflag & OPOST));
  }
  termios after = settings(pty.slave);
  CHECK(after.c_lflag == before.c_lflag);
  CHECK(after.c_iflag == before.c_iflag);
  CHECK(after.c_oflag == before.c_oflag);
  CHECK(after.c_cflag == before.c_cflag);
}

TEST_CASE("restore() is idempotent and a pipe is left alone") {
  Pty pty;
  termios before = settings(pty.slave);
  RawTerminal raw(pty.slave);
  raw.restore();
  raw.restore();
  CHECK(settings(pty.slave).c_lflag == before.c_lflag);

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  RawTerminal on_pipe(fds[0]);
  CHECK_FALSE(on_pipe.active());
  CHECK_FALSE(window_size(fds[0]));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("the window size is read from the terminal") {
  Pty pty;
  auto ws = window_size(pty.slave);
  REQUIRE(ws);
  CHECK(ws->rows == 33);
  CHECK(ws->cols == 101);
}
