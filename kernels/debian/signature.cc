#include "kernels/debian/signature.h"

#include <cstdlib>
#include <system_error>

#include "kernels/cache.h"
#include "util/process.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;

fs::path archive_keyring(const fs::path& explicit_keyring) {
  if (!explicit_keyring.empty()) return explicit_keyring;
  const char* env = std::getenv("KGRID_KEYRING");
  if (env && *env) return env;
  return "/usr/share/keyrings/debian-archive-keyring.gpg";
}

SignatureCheck judge_gpgv_status(std::string_view status) {
  SignatureCheck c;
  int good = 0, valid = 0;
  std::string problems;
  auto note = [&](const std::string& s) { problems += (problems.empty() ? "" : "; ") + s; };
  bool any_signature = false;
  while (!status.empty()) {
    size_t nl = status.find('\n');
    std::string_view line = status.substr(0, nl);
    status = nl == std::string_view::npos ? std::string_view() : status.substr(nl + 1);
    if (!line.starts_with("[GNUPG:] ")) continue;
    line.remove_prefix(9);
    size_t sp = line.find(' ');
    std::string_view keyword = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    std::string_view first = rest.substr(0, rest.find(' '));
    if (keyword == "NEWSIG") any_signature = true;
    if (keyword == "GOODSIG") ++good;
    else if (keyword == "VALIDSIG") {
      ++valid;
      c.good_keys.emplace_back(first);
    } else if (keyword == "BADSIG") c.bad = "BAD signature by key " + std::string(first) + " (the file was altered)";
    else if (keyword == "NO_PUBKEY") c.unknown_keys.emplace_back(first);
    else if (keyword == "EXPKEYSIG") note("signature by expired key " + std::string(first));
    else if (keyword == "REVKEYSIG") note("signature by revoked key " + std::string(first));
    else if (keyword == "EXPSIG") note("expired signature by key " + std::string(first));
    else if (keyword == "NODATA") note("no signature found");
  }
  if (!c.bad.empty()) return c;
  if (good == 0 || valid == 0) {
    c.good_keys.clear();
    if (!c.unknown_keys.empty()) {
      std::string keys;
      for (const auto& k : c.unknown_keys) keys += (keys.empty() ? "" : ", ") + k;
      note("signed only by keys not in the keyring: " + keys);
    }
    if (problems.empty()) problems = any_signature ? "no valid signature" : "not signed";
    c.bad = problems;
  }
  return c;
}

Result<std::string> verify_clearsigned(const fs::path& signed_file, const fs::path& keyring) {
  std::error_code ec;
  if (!fs::is_regular_file(keyring, ec)) {
    return make_error("keyring " + keyring.string() +
                      " not found: install debian-archive-keyring, or set KGRID_KEYRING");
  }
  if (!program_available("gpgv")) return make_error("gpgv not found: install gpgv to verify the Debian archive");
  TempPath out(temp_path_for(signed_file.string() + ".signed"));
  // An absolute keyring path: gpgv would look a bare name up in ~/.gnupg.
  ProcessOptions po;
  po.timeout = std::chrono::seconds(120);
  auto r = run_process({"gpgv", "--status-fd", "1", "--output", out.path().string(), "--keyring",
                        fs::absolute(keyring).string(), signed_file.string()},
                       po);
  if (!r) return make_error("cannot check the signature of " + signed_file.string() + ": " + r.error().message);
  SignatureCheck check = judge_gpgv_status(r->out);
  if (!check.bad.empty() || r->signal) {
    return make_error("signature check of " + signed_file.string() + " against " + keyring.string() +
                      " failed: " + (check.bad.empty() ? r->describe() : check.bad));
  }
  auto text = read_file(out.path());
  if (!text) return text.error();
  return std::move(*text);
}

}  // namespace kgrid::kernels
