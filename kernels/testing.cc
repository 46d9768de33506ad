#include "kernels/testing.h"

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "kernels/unpack/deb.h"
#include "kernels/sha256.h"
#include "util/process.h"
#include "kernels/download/testing_http.h"

namespace kgrid::kernels::testing {
namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::string tmpl = (fs::temp_directory_path() / "kgrid-kernels-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, std::string_view data) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

bool empty_or_missing(const fs::path& p) {
  std::error_code ec;
  return !fs::exists(p, ec) || fs::is_empty(p, ec);
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

namespace {
void put_le(std::string& b, size_t off, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
}  // namespace

std::string make_bzimage(std::string_view version, std::string_view payload_magic) {
  // setup_sects = 1: two 512-byte sectors of real-mode setup, then 1 KiB of
  // "protected-mode code" holding the payload at payload_offset 16.
  std::string b(2048, '\0');
  b[0x1F1] = 1;
  put_le(b, 0x1F4, 1024 / 16, 4);  // syssize
  put_le(b, 0x1FE, 0xAA55, 2);
  b.replace(0x202, 4, "HdrS");
  put_le(b, 0x206, 0x020f, 2);
  put_le(b, 0x20E, 0x300 - 0x200, 2);  // kernel_version
  put_le(b, 0x248, 16, 4);             // payload_offset
  put_le(b, 0x24C, 64, 4);             // payload_length
  b.replace(0x300, version.size(), version);
  b.replace(1024 + 16, payload_magic.size(), payload_magic);
  return b;
}

std::string xz_compress(std::string_view data) {
  std::string out(lzma_stream_buffer_bound(data.size()), '\0');
  size_t pos = 0;
  lzma_ret r = lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                       reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                       reinterpret_cast<uint8_t*>(out.data()), &pos, out.size());
  if (r != LZMA_OK) throw std::runtime_error("lzma_easy_buffer_encode failed");
  out.resize(pos);
  return out;
}

namespace {

struct Writer {
  archive* a = archive_write_new();
  ~Writer() {
    if (a) archive_write_free(a);
  }
};

void check(archive* a, int r, const char* what) {
  if (r < ARCHIVE_WARN) {
    throw std::runtime_error(std::string(what) + ": " +
                             (archive_error_string(a) ? archive_error_string(a) : "?"));
  }
}

std::string write_all_unsafe(archive* a, const std::vector<TarEntry>& entries, std::string& buf, size_t& used);

// Writes into memory; on failure the archive is abandoned (never flushed
// again) before the buffer goes away.
std::string write_all(archive*& a, const std::vector<TarEntry>& entries) {
  std::string buf(16 << 20, '\0');  // large enough for everything the tests build
  size_t used = 0;
  try {
    return write_all_unsafe(a, entries, buf, used);
  } catch (...) {
    archive_write_fail(a);
    archive_write_free(a);
    a = nullptr;
    throw;
  }
}

std::string write_all_unsafe(archive* a, const std::vector<TarEntry>& entries, std::string& buf, size_t& used) {
  check(a, archive_write_open_memory(a, buf.data(), buf.size(), &used), "open_memory");
  for (const auto& e : entries) {
    archive_entry* ent = archive_entry_new();
    archive_entry_set_pathname(ent, e.path.c_str());
    archive_entry_set_mtime(ent, 1700000000, 0);
    switch (e.type) {
      case TarEntry::File:
        archive_entry_set_filetype(ent, AE_IFREG);
        archive_entry_set_perm(ent, 0644);
        archive_entry_set_size(ent, static_cast<la_int64_t>(e.data.size()));
        break;
      case TarEntry::Dir:
        archive_entry_set_filetype(ent, AE_IFDIR);
        archive_entry_set_perm(ent, 0755);
        archive_entry_set_size(ent, 0);  // cpio wants it
        break;
      case TarEntry::Symlink:
        archive_entry_set_filetype(ent, AE_IFLNK);
        archive_entry_set_perm(ent, 0777);
        archive_entry_set_symlink(ent, e.link.c_str());
        break;
      case TarEntry::Hardlink:
        archive_entry_set_filetype(ent, AE_IFREG);
        archive_entry_set_perm(ent, 0644);
        archive_entry_set_hardlink(ent, e.link.c_str());
        break;
    }
    check(a, archive_write_header(a, ent), "write_header");
    if (e.type == TarEntry::File && !e.data.empty()) {
      la_ssize_t n = archive_write_data(a, e.data.data(), e.data.size());
      if (n != static_cast<la_ssize_t>(e.data.size())) check(a, ARCHIVE_FATAL, "write_data");
    }
    archive_entry_free(ent);
  }
  check(a, archive_write_close(a), "close");
  buf.resize(used);
  return buf;
}

}  // namespace

std::string make_tar(const std::vector<TarEntry>& entries, std::string_view filter) {
  Writer w;
  check(w.a, archive_write_set_format_pax_restricted(w.a), "format");
  if (filter == "xz") check(w.a, archive_write_add_filter_xz(w.a), "xz");
  else if (filter == "zstd") check(w.a, archive_write_add_filter_zstd(w.a), "zstd");
  else if (filter == "gzip") check(w.a, archive_write_add_filter_gzip(w.a), "gzip");
  return write_all(w.a, entries);
}

std::string make_deb(std::string_view data_name, const std::string& data_tar, std::string_view md5sums) {
  Writer w;
  check(w.a, archive_write_set_format_ar_svr4(w.a), "ar");
  std::vector<TarEntry> control_entries = {{TarEntry::File, "./control", "Package: fake\n", ""}};
  if (!md5sums.empty()) control_entries.push_back({TarEntry::File, "./md5sums", std::string(md5sums), ""});
  std::string control = make_tar(control_entries, "xz");
  return write_all(w.a, {{TarEntry::File, "debian-binary", "2.0\n", ""},
                         {TarEntry::File, "control.tar.xz", control, ""},
                         {TarEntry::File, std::string(data_name), data_tar, ""}});
}

std::string md5sums_of(const std::vector<TarEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (e.type == TarEntry::File) out += md5_hex(e.data) + "  " + normalize_archive_path(e.path) + "\n";
  }
  return out;
}

namespace {

std::string run_or_throw(const std::vector<std::string>& argv) {
  auto r = run_process(argv);
  if (!r) throw std::runtime_error(r.error().message);
  if (!r->ok()) throw std::runtime_error(argv[0] + " " + argv[1] + " failed: " + r->describe());
  return r->out;
}

}  // namespace

TestSigner::TestSigner(std::string name) {
  const std::string home = home_.path().string();
  ::chmod(home.c_str(), 0700);
  std::vector<std::string> gpg = {"gpg", "--batch", "--homedir", home, "--pinentry-mode", "loopback",
                                  "--passphrase", ""};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> a = gpg;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  run_or_throw(with({"--quick-gen-key", name + " <test@kgrid.invalid>", "ed25519", "sign", "never"}));
  std::string listing = run_or_throw(with({"--with-colons", "--list-secret-keys"}));
  size_t fpr = listing.find("\nfpr:");
  if (fpr == std::string::npos) throw std::runtime_error("gpg made no key");
  std::string line = listing.substr(fpr + 1, listing.find('\n', fpr + 1) - fpr - 1);
  fingerprint_ = line.substr(line.find_first_not_of(':', 3));
  fingerprint_ = fingerprint_.substr(0, fingerprint_.find(':'));
  keyring_ = home_.path() / "keyring.gpg";
  run_or_throw(with({"--output", keyring_.string(), "--export", fingerprint_}));
}

TestSigner::~TestSigner() {
  // The agent gpg started for this home would otherwise stay behind.
  (void)run_process({"gpgconf", "--homedir", home_.path().string(), "--kill", "gpg-agent"});
}

std::string TestSigner::clearsign(std::string_view text, const TestSigner* also) const {
  const fs::path in = home_.path() / "in.txt", out = home_.path() / "out.asc";
  write_file(in, text);
  fs::remove(out);
  std::vector<std::string> argv = {"gpg", "--batch", "--yes", "--homedir", home_.path().string(),
                                   "--pinentry-mode", "loopback", "--passphrase", "", "--digest-algo", "SHA256",
                                   "--local-user", fingerprint_ + "!"};
  if (also) {
    // A second signature needs the other key's secret part: import it here.
    std::string secret = run_or_throw({"gpg", "--batch", "--homedir", also->home_.path().string(), "--pinentry-mode",
                                       "loopback", "--passphrase", "", "--armor", "--export-secret-keys",
                                       also->fingerprint_});
    write_file(home_.path() / "other.asc", secret);
    run_or_throw({"gpg", "--batch", "--homedir", home_.path().string(), "--import",
                  (home_.path() / "other.asc").string()});
    argv.insert(argv.end(), {"--local-user", also->fingerprint_ + "!"});
  }
  argv.insert(argv.end(), {"--output", out.string(), "--clearsign", in.string()});
  run_or_throw(argv);
  return slurp(out);
}

const TestSigner& TestSigner::shared() {
  static TestSigner signer;
  return signer;
}

FakeMirror::FakeMirror() = default;
FakeMirror::~FakeMirror() = default;

std::string FakeMirror::url() const { return http ? http->url() : "file://" + dir.path().string(); }

void FakeMirror::serve_http() {
  http = std::make_unique<TestHttpServer>([this](const std::string& path) {
    const std::string rel = normalize_archive_path(path);
    if (is_unsafe_archive_path(path.substr(1)) || !fs::is_regular_file(dir.path() / rel)) {
      return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    const std::string body = slurp(dir.path() / rel);
    auto cut = cut_after.find(rel);
    if (cut != cut_after.end() && cut->second < body.size()) {
      return http_ok(std::string_view(body).substr(0, cut->second), body.size());
    }
    return http_ok(body);
  });
}

std::string FakeMirror::pool_path(const std::string& name, const std::string& version, const std::string& arch) {
  return "pool/main/l/linux/" + name + "_" + version + "_" + arch + ".deb";
}

void FakeMirror::add(const std::string& name, const std::string& version, const std::string& depends,
                     const std::string& deb, uint64_t fake_size, std::string sha, const std::string& arch) {
  const std::string filename = pool_path(name, version, arch);
  if (!deb.empty()) write_file(dir.path() / filename, deb);
  if (sha.empty()) sha = deb.empty() ? std::string(64, 'f') : sha256_hex(deb);
  std::string& text = index[arch];
  text += "Package: " + name + "\nVersion: " + version + "\nArchitecture: " + arch + "\n";
  if (!depends.empty()) text += "Depends: " + depends + "\n";
  text += "Filename: " + filename + "\nSize: " + std::to_string(deb.empty() ? fake_size : deb.size()) +
          "\nSHA256: " + sha + "\nDescription: test\n\n";
}

void FakeMirror::publish(const std::string& suite, const std::string& codename) {
  const fs::path dists = dir.path() / "dists" / suite;
  const std::string name = codename.empty() ? suite : codename;
  std::string release = "Origin: Test\nSuite: " + name + "\nCodename: " + name +
                        "\nDate: Mon, 23 Nov 2026 10:00:00 UTC\nAcquire-By-Hash: yes\nSHA256:\n";
  for (const auto& [arch, text] : index) {
    const std::string xz = xz_compress(text);
    const std::string sha = sha256_hex(xz);
    write_file(dists / "main" / ("binary-" + arch) / "Packages.xz", xz);
    write_file(dists / "main" / ("binary-" + arch) / "by-hash" / "SHA256" / sha, xz);
    release += " " + sha + " " + std::to_string(xz.size()) + " main/binary-" + arch + "/Packages.xz\n";
  }
  write_file(dists / "InRelease", signer->clearsign(release));
}

FetchOptions options_for(const FakeMirror& m, const fs::path& cache) {
  FetchOptions o;
  o.mirror = m.url();
  o.cache_dir = cache;
  o.keyring = m.signer->keyring();
  return o;
}

std::string make_rpm(const std::vector<TarEntry>& entries) {
  std::string cpio;
  {
    Writer w;
    check(w.a, archive_write_set_format_cpio_newc(w.a), "cpio");
    check(w.a, archive_write_add_filter_xz(w.a), "xz");
    cpio = write_all(w.a, entries);
  }
  std::string lead(96, '\0');
  const unsigned char magic[] = {0xed, 0xab, 0xee, 0xdb, 3, 0};
  for (int i = 0; i < 6; ++i) lead[i] = static_cast<char>(magic[i]);
  lead.replace(10, 10, "kgrid-test");
  lead[0x4d] = 1;   // osnum: Linux
  lead[0x4f] = 5;   // signature type: a header structure
  // An empty header structure: magic, reserved, 0 index entries, 0 data bytes.
  const std::string header("\x8e\xad\xe8\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
  return lead + header + header + cpio;
}

bool network_allowed() {
  const char* v = std::getenv("KGRID_NO_NETWORK");
  return !(v && *v && std::string_view(v) != "0");
}

const Result<FetchedKernel>& bookworm_kernel() {
  static const Result<FetchedKernel> k = [] {
    FetchOptions o;
    o.log = [](const std::string& line) { std::cerr << "kernels_test: " << line << "\n"; };
    auto sel = parse_selector("debian:bookworm/linux-image-amd64");
    if (!sel) return Result<FetchedKernel>(sel.error());
    return fetch_debian(*sel, o);
  }();
  return k;
}

}  // namespace kgrid::kernels::testing
