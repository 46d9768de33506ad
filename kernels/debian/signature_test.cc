#include "kernels/debian/signature.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

TEST_CASE("gpgv status: one good signature is enough, a bad one spoils all") {
  const std::string good =
      "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 6ED0E7B82643E131 Debian Archive\n"
      "[GNUPG:] VALIDSIG 4CB50190207B4758A3F73A796ED0E7B82643E131 2026-11-22 1795313388 0 4 0 1 8 01 B8B8\n";
  const std::string unknown = "[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG AAAA 1 8 01 1795313388 9 -\n[GNUPG:] NO_PUBKEY AAAA\n";
  auto ok = judge_gpgv_status(good + unknown);
  CHECK(ok.bad.empty());
  CHECK(ok.good_keys == std::vector<std::string>{"4CB50190207B4758A3F73A796ED0E7B82643E131"});
  CHECK(ok.unknown_keys == std::vector<std::string>{"AAAA"});

  auto only_unknown = judge_gpgv_status(unknown);
  CHECK(only_unknown.bad.find("not in the keyring: AAAA") != std::string::npos);
  auto bad = judge_gpgv_status(good + "[GNUPG:] NEWSIG\n[GNUPG:] BADSIG 78DB Debian\n");
  CHECK(bad.bad.find("BAD signature") != std::string::npos);
  CHECK(judge_gpgv_status("[GNUPG:] NODATA 1\n").bad.find("no signature") != std::string::npos);
  CHECK_FALSE(judge_gpgv_status("").bad.empty());
  // GOODSIG without VALIDSIG (or the reverse) is not enough.
  CHECK_FALSE(judge_gpgv_status("[GNUPG:] GOODSIG 6ED0 x\n").bad.empty());
  CHECK_FALSE(judge_gpgv_status("[GNUPG:] EXPKEYSIG 6ED0 x\n[GNUPG:] VALIDSIG 4CB5 x\n").bad.empty());
}

TEST_CASE("gpgv against a test key: good, altered, foreign, unsigned, dual-signed") {
  const TestSigner& key = TestSigner::shared();
  TestSigner other("kgrid other key");
  ScratchDir dir;
  const std::string text = "Suite: test\nSHA256:\n x\n";
  auto check = [&](const std::string& file_text) {
    write_file(dir.path() / "InRelease", file_text);
    return verify_clearsigned(dir.path() / "InRelease", key.keyring());
  };

  auto good = check(key.clearsign(text));
  REQUIRE_MESSAGE(good.ok(), why(good));
  CHECK(*good == text);

  std::string altered = key.clearsign(text);
  altered.replace(altered.find("Suite: test"), 11, "Suite: evil");
  auto bad = check(altered);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("BAD signature") != std::string::npos);

  auto foreign = check(other.clearsign(text));
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().message.find("not in the keyring") != std::string::npos);

  auto unsigned_text = check(text);
  REQUIRE_FALSE(unsigned_text.ok());
  CHECK(unsigned_text.error().message.find("signature check") != std::string::npos);

  // Text outside the signed block never reaches the caller.
  auto appended = check(key.clearsign(text) + "SHA256:\n evil\n");
  if (appended.ok()) CHECK(appended->find("evil") == std::string::npos);

  auto both = check(key.clearsign(text, &other));  // like the archive: several keys sign
  REQUIRE_MESSAGE(both.ok(), why(both));
  auto both_foreign_first = check(other.clearsign(text, &key));
  REQUIRE_MESSAGE(both_foreign_first.ok(), why(both_foreign_first));

  auto no_keyring = verify_clearsigned(dir.path() / "InRelease", dir.path() / "missing.gpg");
  REQUIRE_FALSE(no_keyring.ok());
  CHECK(no_keyring.error().message.find("KGRID_KEYRING") != std::string::npos);
}
