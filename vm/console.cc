#include "vm/console.h"

namespace kgrid::host {
namespace {

constexpr size_t kTailLines = 40;
constexpr int kTraceLines = 24;
constexpr size_t kMaxLine = 16 * 1024;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\t') out += ' ';
    else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else if (c >= 0x80) out += '?';
  }
  return out;
}

}  // namespace

std::string_view strip_printk_prefix(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.size() >= 3 && line[0] == '<' && line[2] == '>' && line[1] >= '0' && line[1] <= '7')
    line.remove_prefix(3);
  if (!line.empty() && line[0] == '[') {
    size_t close = line.find(']');
    if (close != std::string_view::npos && close < 20) {
      bool numeric = true;
      for (size_t i = 1; i < close; ++i) {
        char c = line[i];
        if (!(c == ' ' || c == '.' || (c >= '0' && c <= '9'))) numeric = false;
      }
      if (numeric) {
        line.remove_prefix(close + 1);
        if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
      }
    }
  }
  // printk caller ids such as "[    T1] " (CONFIG_PRINTK_CALLER)
  if (line.size() > 3 && line[0] == '[' && (line[1] == ' ' || line[1] == 'T' || line[1] == 'C')) {
    size_t close = line.find(']');
    if (close != std::string_view::npos && close < 12) {
      bool caller = true;
      for (size_t i = 1; i < close; ++i) {
        char c = line[i];
        if (!(c == ' ' || c == 'T' || c == 'C' || (c >= '0' && c <= '9'))) caller = false;
      }
      if (caller) {
        line.remove_prefix(close + 1);
        if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
      }
    }
  }
  return line;
}

std::string_view classify_kernel_line(std::string_view raw) {
  std::string_view line = strip_printk_prefix(raw);
  if (starts_with(line, "Kernel panic - not syncing")) return "panic";
  if (starts_with(line, "Oops:") || starts_with(line, "Oops ") ||
      starts_with(line, "general protection fault") || starts_with(line, "Internal error: Oops") ||
      starts_with(line, "Unable to handle kernel"))
    return "oops";
  if (starts_with(line, "BUG:") || starts_with(line, "kernel BUG at") ||
      starts_with(line, "BUG kmalloc") || starts_with(line, "UBSAN:") ||
      starts_with(line, "KASAN:") || starts_with(line, "watchdog: BUG:"))
    return "bug";
  if (starts_with(line, "WARNING: CPU:") || starts_with(line, "WARNING: at")) return "warning";
  return "";
}

bool ConsoleMonitor::feed(std::string_view bytes) {
  bytes_ += bytes.size();
  size_t before = records_.size();
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      if (partial_.size() > kMaxLine) {  // garbage without newlines: cut it into lines
        on_line(std::move(partial_));
        partial_.clear();
      }
      break;
    }
    partial_.append(bytes.substr(0, nl));
    on_line(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(nl + 1);
  }
  return records_.size() > before;
}

void ConsoleMonitor::flush() {
  if (!partial_.empty()) {
    on_line(std::move(partial_));
    partial_.clear();
  }
}

void ConsoleMonitor::on_line(std::string line) {
  auto decoded = protocol::decode_line(line, nonce_);
  switch (decoded.status) {
    case protocol::DecodeStatus::Ok:
      if (!seen_seq_[decoded.record.seq]) {
        seen_seq_[decoded.record.seq] = true;
        records_.push_back(std::move(decoded.record));
      }
      return;
    case protocol::DecodeStatus::BadCrc:
    case protocol::DecodeStatus::Malformed:
      ++corrupt_;
      break;
    case protocol::DecodeStatus::WrongNonce:
    case protocol::DecodeStatus::NotARecord:
      break;
  }

  std::string text = printable(strip_printk_prefix(line));
  if (text.empty()) return;
  tail_.push_back(text);
  if (tail_.size() > kTailLines) tail_.pop_front();

  if (trace_lines_wanted_ > 0 && crash_) {
    crash_->trace.push_back(text);
    --trace_lines_wanted_;
  }
  std::string_view kind = classify_kernel_line(line);
  if (kind.empty()) return;
  if (kind == "warning") {
    if (warnings_.size() < 5) warnings_.push_back(text);
    return;
  }
  // Keep the first crash: it is the cause. A panic that follows an oops
  // joins the oops's trace; the kind and the message stay the oops's.
  if (!crash_) {
    crash_ = KernelCrash{std::string(kind), text, {}};
    trace_lines_wanted_ = kTraceLines;
  } else if (kind == "panic" && crash_->kind != "panic") {
    crash_->trace.push_back(text);
  }
}

const protocol::Record* ConsoleMonitor::find_first(std::string_view type) const {
  for (const auto& r : records_)
    if (r.type == type) return &r;
  return nullptr;
}

const protocol::Record* ConsoleMonitor::running_test() const {
  const protocol::Record* start = nullptr;
  for (const auto& r : records_) {
    if (r.type == "TEST_START") start = &r;
    if (r.type == "TEST" && start && r.get("name") == start->get("name")) start = nullptr;
  }
  return start;
}

}  // namespace kgrid::host
