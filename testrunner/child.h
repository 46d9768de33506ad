// A program run by the testrunner (probe or generator): its own process
// group, stdin on /dev/null, stdout and stderr captured through pipes (or
// stdout through a pseudo-terminal, so that stdio flushes it line by line).
// The destructor kills the whole group and reaps it, so nothing outlives a test.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "guest/guest_io.h"
#include "testrunner/text.h"

namespace kgrid::testrunner {

struct ExitStatus {
  int code = 0;    // exit code, if it exited
  int signal = 0;  // the signal that killed it, 0 if none

  // "exit status 13", "signal 11 (Segmentation fault)"
  std::string describe() const;
};

struct SpawnOptions {
  // stdout on a pseudo-terminal in raw mode: programs that never flush
  // (scap-open) still show their lines as they print them.
  bool stdout_pty = false;
};

class Child {
 public:
  static Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  Child(Child&& o) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  OutputBuffer& out() { return out_; }
  OutputBuffer& err() { return err_; }
  const OutputBuffer& out() const { return out_; }
  const OutputBuffer& err() const { return err_; }

  void signal_group(int sig);

  // Adds the still-open pipes to a poll set; reads what they have.
  void add_pollfds(std::vector<pollfd>& fds) const;
  void read_available();
  // Non-blocking waitpid; true once reaped.
  bool try_reap(int64_t now_ms);

  bool reaped() const { return reaped_; }
  int64_t reaped_at_ms() const { return reaped_at_; }
  const ExitStatus& status() const { return status_; }
  // Reaped and its pipes at EOF (or a short grace passed, in case a
  // grandchild holds them open).
  bool finished(int64_t now_ms) const;
  // When finished() turns true at the latest, for poll deadlines.
  int64_t finish_deadline_ms() const;

 private:
  Child() : out_(1 << 20, 4 << 20), err_(64 << 10, 1 << 20) {}
  pid_t pid_ = -1;
  guest::UniqueFd out_fd_, err_fd_;
  OutputBuffer out_, err_;
  bool reaped_ = false;
  int64_t reaped_at_ = 0;
  ExitStatus status_;
};

// Reads what is available on the children's pipes and reaps those that
// exited, after waiting until there is something to read, a child changed
// state (SIGCHLD) or `deadline_ms` (CLOCK_MONOTONIC) passed. No busy waiting.
void pump(const std::vector<Child*>& children, int64_t deadline_ms);

}  // namespace kgrid::testrunner
