// kgrid-probe: the reference consumer. Loads a driver, says "ready", counts
// syscall entries per (tgid, nr) until SIGINT/SIGTERM (or --duration-s), then
// prints the report described in docs/design.md and exits 0. If the driver
// cannot load, attach or unload it prints "kgrid-probe: error <stage>: <text>" on
// stderr (after libbpf's own messages and verifier log) and exits 1.
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "counts.h"
#include "driver.h"
#include "options.h"

namespace kgrid::probe {

std::unique_ptr<Driver> make_driver(std::string_view name) {
  if (name == "modern_bpf") return make_modern_bpf_driver();
  if (name == "bpf") return make_legacy_bpf_driver();
  if (name == "kmod") return make_kmod_driver();
  return nullptr;
}

namespace {

int error_exit(const char* stage, const std::string& text) {
  fprintf(stderr, "kgrid-probe: error %s: %s\n", stage, text.c_str());
  return 1;
}

struct Sink final : EventSink {
  Counts counts;
  uint64_t lost = 0;
  void on_event(uint32_t tgid, int32_t nr) override { counts.add(tgid, nr); }
  void on_bad_record() override { ++lost; }
};

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

int run(const Options& options) {
  std::unique_ptr<Driver> driver = make_driver(options.driver);
  if (!driver) {
    fprintf(stderr, "kgrid-probe: error usage: unknown driver '%s' (modern_bpf, bpf, kmod)\n", options.driver.c_str());
    return 2;
  }

  // Block the stop signals before loading: one that arrives early waits in
  // the signalfd and ends the run right after "ready", with a report. An
  // ignored signal is discarded even while blocked, and a parent may have
  // left SIGINT ignored (shells do for background jobs), so reset them first.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &stop, nullptr) != 0) return error_exit("signal", strerror(errno));
  int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
  if (sfd < 0) return error_exit("signal", strerror(errno));

  DriverError derr;
  if (!driver->start(options, derr)) return error_exit(derr.stage.c_str(), derr.text);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return error_exit("poll", strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = 0;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, driver->fd(), &ev) != 0) return error_exit("poll", strerror(errno));
  ev.data.u32 = 1;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) != 0) return error_exit("poll", strerror(errno));

  fputs("kgrid-probe: ready\n", stdout);
  fflush(stdout);

  Sink sink;
  const int64_t deadline = options.duration_s > 0 ? now_ms() + int64_t{options.duration_s} * 1000 : -1;
  for (bool stopping = false; !stopping;) {
    int timeout = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ms();
      if (left <= 0) break;
      timeout = static_cast<int>(left);
    }
    epoll_event ready[2];
    int n = epoll_wait(epfd, ready, 2, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return error_exit("poll", strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.u32 == 1) {
        stopping = true;
      } else if (int err = driver->drain(sink); err < 0) {
        return error_exit("poll", strerror(-err));
      }
    }
  }

  // Everything submitted before the stop signal is already in the buffer.
  if (int err = driver->drain(sink); err < 0) return error_exit("poll", strerror(-err));
  Result<uint64_t> drops = driver->drops();
  if (!drops) return error_exit("stats", drops.error().message);
  if (!driver->stop(derr)) return error_exit(derr.stage.c_str(), derr.text);

  std::string report = sink.counts.report(*drops, sink.lost);
  fputs(report.c_str(), stdout);
  if (fflush(stdout) != 0 || ferror(stdout)) return 1;
  return 0;
}

}  // namespace
}  // namespace kgrid::probe

int main(int argc, char** argv) {
  using namespace kgrid::probe;
  kgrid::Result<Options> options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    fprintf(stderr, "kgrid-probe: error usage: %s\n%s", options.error().message.c_str(), kUsage);
    return 2;
  }
  if (options->help) {
    fputs(kUsage, stdout);
    return 0;
  }
  return run(*options);
}
