// Checks the OpenPGP signature of a clearsigned file (a suite's InRelease)
// with gpgv against one keyring, and returns the signed text as gpgv
// extracted it: text outside the signed block is never seen by the caller.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

// The keyring for the Debian archive: `explicit_keyring` if not empty, else
// $KGRID_KEYRING, else /usr/share/keyrings/debian-archive-keyring.gpg.
std::filesystem::path archive_keyring(const std::filesystem::path& explicit_keyring = {});

struct SignatureCheck {
  std::vector<std::string> good_keys;    // fingerprints of valid signatures
  std::vector<std::string> unknown_keys; // key ids not in the keyring (ignored when one is good)
  std::string bad;                       // why the signatures are not acceptable; empty when they are
};

// Judges gpgv's --status-fd output: acceptable when at least one signature
// is GOODSIG with VALIDSIG and none is BADSIG (like apt). Signatures by keys
// missing from the keyring are ignored when another one is good.
SignatureCheck judge_gpgv_status(std::string_view status);

// Runs gpgv on `signed_file`. The error names the file, the keyring and the
// reason (bad signature, unknown key, not signed, gpgv missing).
Result<std::string> verify_clearsigned(const std::filesystem::path& signed_file,
                                       const std::filesystem::path& keyring);

}  // namespace kgrid::kernels
