// The "kmod" driver: kgrid_kmod.ko (probes/kmod/), built for this kernel,
// loaded with finit_module(2), read through /dev/kgrid_kmod, and unloaded
// with delete_module(2) at the end. A module that will not load says why
// (the errno and the kernel's own words are on the console); one that will
// not unload fails the run.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "driver.h"
#include "kmod/kgrid_kmod.h"

namespace kgrid::probe {
namespace {

std::string errno_text(const std::string& what, int err) { return what + ": " + strerror(err); }

// devtmpfs normally creates the node; without it, make one from sysfs.
int open_device() {
  int fd = open(KGRID_KMOD_DEVICE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT) return fd;
  FILE* f = fopen("/sys/class/misc/" KGRID_KMOD_NAME "/dev", "r");
  if (!f) return -1;
  unsigned major_nr = 0, minor_nr = 0;
  int n = fscanf(f, "%u:%u", &major_nr, &minor_nr);
  fclose(f);
  if (n != 2) {
    errno = ENOENT;
    return -1;
  }
  const char* node = "/tmp/" KGRID_KMOD_NAME;
  unlink(node);
  if (mknod(node, S_IFCHR | 0600, makedev(major_nr, minor_nr)) != 0) return -1;
  return open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

class Kmod final : public Driver {
 public:
  ~Kmod() override {
    DriverError ignored;
    stop(ignored);
  }

  bool start(const Options& options, DriverError& error) override {
    int mfd = open(options.module.c_str(), O_RDONLY | O_CLOEXEC);
    if (mfd < 0) return fail(error, "open", errno_text(options.module, errno));
    std::string params = "self_tgid=" + std::to_string(getpid());
    if (options.fault == Fault::nocapture) params += " fault=" + std::to_string(KGRID_KMOD_FAULT_NOCAPTURE);
    if (options.fault == Fault::oops) params += " fault=" + std::to_string(KGRID_KMOD_FAULT_OOPS);
    long rc = syscall(SYS_finit_module, mfd, params.c_str(), 0);
    int err = errno;
    close(mfd);
    if (rc != 0) {
      std::string why = errno_text("finit_module " + options.module, err);
      if (err == EEXIST) why += " (" KGRID_KMOD_NAME " is already loaded)";
      if (err == ENOEXEC || err == EINVAL) why += " (wrong kernel? see the console for the kernel's reason)";
      return fail(error, "load", why);
    }
    loaded_ = true;
    dev_ = open_device();
    if (dev_ < 0) return fail(error, "attach", errno_text(KGRID_KMOD_DEVICE, errno));
    return true;
  }

  int fd() const override { return dev_; }

  int drain(EventSink& sink) override {
    kgrid_kmod_event batch[4096];
    for (;;) {
      ssize_t n = read(dev_, batch, sizeof batch);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN ? 0 : -errno;
      }
      if (n == 0) return 0;
      size_t records = static_cast<size_t>(n) / sizeof(kgrid_kmod_event);
      for (size_t i = 0; i < records; ++i) sink.on_event(batch[i].tgid, batch[i].nr);
      if (static_cast<size_t>(n) % sizeof(kgrid_kmod_event) != 0) sink.on_bad_record();
    }
  }

  Result<uint64_t> drops() const override {
    kgrid_kmod_stats stats{};
    if (ioctl(dev_, KGRID_KMOD_IOC_STATS, &stats) != 0)
      return make_error(errno_text("ioctl KGRID_KMOD_IOC_STATS", errno));
    return uint64_t{stats.drops};
  }

  bool stop(DriverError& error) override {
    if (dev_ >= 0) close(dev_);
    dev_ = -1;
    if (!loaded_) return true;
    loaded_ = false;
    if (syscall(SYS_delete_module, KGRID_KMOD_NAME, O_NONBLOCK) != 0)
      return fail(error, "unload", errno_text("delete_module " KGRID_KMOD_NAME, errno));
    return true;
  }

 private:
  static bool fail(DriverError& error, const char* stage, std::string text) {
    error = DriverError{stage, std::move(text)};
    return false;
  }

  bool loaded_ = false;
  int dev_ = -1;
};

}  // namespace

std::unique_ptr<Driver> make_kmod_driver() { return std::make_unique<Kmod>(); }

}  // namespace kgrid::probe
