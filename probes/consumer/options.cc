#include "options.h"

#include <charconv>

namespace kgrid::probe {

const char kUsage[] =
    "usage: kgrid-probe [--driver modern_bpf] [--fault nocapture|verifier]\n"
    "       kgrid-probe --driver bpf --object FILE [--fault nocapture|verifier]\n"
    "       kgrid-probe --driver kmod --module FILE [--fault nocapture|oops]\n"
    "                   [--duration-s N] [--verbose]\n"
    "Counts syscall entries per (tgid, nr) until SIGINT/SIGTERM or N seconds,\n"
    "then prints them. --fault breaks the driver on purpose, for testing.\n";

namespace {

bool parse_seconds(const std::string& s, int& out) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return false;
  out = v;
  return true;
}

// The combinations each driver accepts.
Result<Options> check(const Options& o) {
  if (o.help) return o;
  if (o.driver == "modern_bpf" || o.driver == "bpf") {
    if (o.fault == Fault::oops) return make_error("--fault oops is for --driver kmod");
    if (!o.module.empty()) return make_error("--module is for --driver kmod");
  }
  if (o.driver == "modern_bpf" && !o.object.empty())
    return make_error("--object is for --driver bpf (modern_bpf's object is built in)");
  if (o.driver == "bpf" && o.object.empty()) return make_error("--driver bpf needs --object FILE");
  if (o.driver == "kmod") {
    if (o.module.empty()) return make_error("--driver kmod needs --module FILE");
    if (!o.object.empty()) return make_error("--object is for --driver bpf");
    if (o.fault == Fault::verifier) return make_error("--fault verifier is for the BPF drivers");
  }
  return o;
}

}  // namespace

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* {
      return i + 1 < args.size() ? &args[++i] : nullptr;
    };
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--driver") {
      const std::string* v = value();
      if (!v) return make_error("--driver needs a value");
      o.driver = *v;
    } else if (a == "--fault") {
      const std::string* v = value();
      if (!v) return make_error("--fault needs a value");
      if (*v == "nocapture") {
        o.fault = Fault::nocapture;
      } else if (*v == "verifier") {
        o.fault = Fault::verifier;
      } else if (*v == "oops") {
        o.fault = Fault::oops;
      } else {
        return make_error("unknown fault '" + *v + "' (nocapture, verifier, oops)");
      }
    } else if (a == "--object" || a == "--module") {
      const std::string* v = value();
      if (!v || v->empty()) return make_error(a + " needs a file");
      (a == "--object" ? o.object : o.module) = *v;
    } else if (a == "--duration-s") {
      const std::string* v = value();
      if (!v || !parse_seconds(*v, o.duration_s))
        return make_error("--duration-s needs a positive whole number");
    } else {
      return make_error("unknown argument '" + a + "'");
    }
  }
  return check(o);
}

}  // namespace kgrid::probe
