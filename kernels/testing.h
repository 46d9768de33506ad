// Test helpers for kernels_test (not part of the library): synthetic kernel
// images, xz and tar/ar writers built on liblzma and libarchive, scratch
// directories, and the real Debian kernel the network tests share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/debian/debian.h"

namespace kgrid::kernels::testing {

// A scratch directory, removed with everything in it at scope exit.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, std::string_view data);
std::string slurp(const std::filesystem::path& path);
// True when `p` does not exist or is an empty directory.
bool empty_or_missing(const std::filesystem::path& p);
// `n` incompressible bytes, the same for the same seed.
std::string random_bytes(size_t n, unsigned seed);

// A minimal x86 bzImage: setup header (protocol 2.15), version string, and
// a payload that starts with `payload_magic` (e.g. "\x28\xb5\x2f\xfd").
std::string make_bzimage(std::string_view version, std::string_view payload_magic);

std::string xz_compress(std::string_view data);

struct TarEntry {
  enum Type { File, Dir, Symlink, Hardlink } type = File;
  std::string path;
  std::string data;  // file contents
  std::string link;  // symlink or hardlink target
};

// A tar archive compressed with `filter` ("xz", "zstd", "gzip" or "none").
std::string make_tar(const std::vector<TarEntry>& entries, std::string_view filter = "xz");

// A .deb: debian-binary, control.tar.xz (with `md5sums` as its md5sums
// file unless empty) and a data member named `data_name` (e.g.
// "data.tar.xz") holding `data_tar`.
std::string make_deb(std::string_view data_name, const std::string& data_tar, std::string_view md5sums = {});

// The md5sums file dpkg-deb would write for the regular files of `entries`.
std::string md5sums_of(const std::vector<TarEntry>& entries);

// A minimal RPM (lead, empty signature and main headers) whose payload is
// an xz-compressed cpio (newc) of `entries`: enough for libarchive's reader.
std::string make_rpm(const std::vector<TarEntry>& entries);

// The error text of a failed result, "" for success: safe to use as a
// doctest message, which may be evaluated even when the check passes.
template <class T>
std::string why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message;
}

// A throwaway OpenPGP signing key in a private GNUPGHOME (gpg), for fake
// mirrors whose InRelease kgrid must verify. The home, and the gpg-agent
// that gpg starts for it, are removed with the object.
class TestSigner {
 public:
  explicit TestSigner(std::string name = "kgrid test archive");
  ~TestSigner();
  TestSigner(const TestSigner&) = delete;
  TestSigner& operator=(const TestSigner&) = delete;

  // A keyring file holding only this key's public part (for gpgv --keyring).
  const std::filesystem::path& keyring() const { return keyring_; }
  // `text` clearsigned by this key (as an InRelease file is). With `also`,
  // the text carries both keys' signatures.
  std::string clearsign(std::string_view text, const TestSigner* also = nullptr) const;

  // One key shared by the tests of a run (key generation takes a moment).
  static const TestSigner& shared();

 private:
  ScratchDir home_;
  std::filesystem::path keyring_;
  std::string fingerprint_;
};

class TestHttpServer;

// A Debian mirror on disk (file://, or http:// after serve_http()), signed
// by TestSigner::shared() unless another signer is set: pool/ files,
// dists/<suite>/InRelease listing main/binary-<arch>/Packages.xz (also
// stored by hash).
struct FakeMirror {
  ScratchDir dir;
  std::map<std::string, std::string> index;  // arch -> Packages text
  const TestSigner* signer = &TestSigner::shared();
  // Served over HTTP, a file named here (path below the mirror) breaks off
  // after that many bytes of its body. Set before fetching.
  std::map<std::string, size_t> cut_after;
  std::unique_ptr<TestHttpServer> http;

  FakeMirror();
  ~FakeMirror();
  std::string url() const;
  // From now on the mirror is served by a TestHttpServer on 127.0.0.1.
  void serve_http();
  // Where add() puts a package: "pool/main/l/linux/<name>_<version>_<arch>.deb".
  static std::string pool_path(const std::string& name, const std::string& version, const std::string& arch = "amd64");

  // Adds a package; a non-empty `deb` is written to the pool. A non-empty
  // `sha` overrides the index's SHA256 (to fake a tampered package).
  void add(const std::string& name, const std::string& version, const std::string& depends,
           const std::string& deb, uint64_t fake_size = 1000, std::string sha = "",
           const std::string& arch = "amd64");
  // Writes Packages.xz and the signed InRelease of `suite` for every arch
  // added. The InRelease names `codename` as its suite when it is given.
  void publish(const std::string& suite, const std::string& codename = "");
};

// Options that fetch from `m` into `cache`, trusting the test key.
FetchOptions options_for(const FakeMirror& m, const std::filesystem::path& cache);

// Whether network tests should run (KGRID_NO_NETWORK unset or "0").
bool network_allowed();

// debian:bookworm/linux-image-amd64 fetched into the user cache once per
// test run; the network tests use it.
const Result<FetchedKernel>& bookworm_kernel();

}  // namespace kgrid::kernels::testing
