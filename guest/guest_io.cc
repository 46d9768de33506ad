#include "guest/guest_io.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "common/protocol.h"

namespace kgrid::guest {

bool write_once(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void say(int fd, std::string_view line) {
  std::string text(line);
  text += '\n';
  write_once(fd, text);
}

bool send_record(int fd, const std::string& nonce, uint64_t seq, const std::string& type,
                 const std::map<std::string, std::string>& fields) {
  protocol::Record record;
  record.nonce = nonce;
  record.seq = seq;
  record.type = type;
  record.fields = fields;
  std::string line = protocol::encode(record);
  bool first = write_once(fd, line);
  bool second = write_once(fd, line);
  return first || second;
}

namespace {
int64_t clock_ms(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

int64_t boottime_ms() { return clock_ms(CLOCK_BOOTTIME); }
int64_t monotonic_ms() { return clock_ms(CLOCK_MONOTONIC); }

std::string read_file(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace kgrid::guest
