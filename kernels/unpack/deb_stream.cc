#include "kernels/unpack/deb_stream.h"

#include <archive.h>

#include <cerrno>

#include "kernels/download/http_stream.h"
#include "kernels/unpack/libarchive_util.h"
#include "kernels/unpack/md5sums.h"
#include "kernels/sha256.h"

namespace kgrid::kernels {
namespace {

constexpr uint64_t kFinishBelow = 1 << 20;

la_ssize_t read_stream(archive* a, void* user, const void** out) {
  auto chunk = static_cast<HttpStream*>(user)->next();
  if (!chunk) {
    archive_set_error(a, EIO, "%s", chunk.error().message.c_str());
    return -1;
  }
  *out = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

Status extract_streaming(HttpStream& stream, const std::string& label, const std::vector<DebExtract>& wanted,
                         Md5Sums* md5sums) {
  la::ArchivePtr outer(archive_read_new());
  if (!outer) return make_error(label + ": archive_read_new failed");
  archive_read_support_format_ar(outer.get());
  if (archive_read_open(outer.get(), &stream, nullptr, read_stream, nullptr) != ARCHIVE_OK) {
    return make_error(label + ": not a readable .deb: " + la::error_text(outer.get()));
  }
  return extract_from_deb_archive(outer.get(), label, wanted, md5sums);
}

Status check_md5sums(const Md5Sums& sums, const std::vector<DebExtract>& wanted, const std::string& label) {
  for (const auto& w : wanted) {
    auto listed = sums.find(w.path_in_deb);
    if (listed == sums.end()) continue;
    auto got = md5_file(w.dest);
    if (!got) return got.error();
    if (*got != listed->second) {
      return make_error(label + ": " + w.path_in_deb + " does not match the package's md5sums (MD5 " + *got +
                        ", listed " + listed->second + ")");
    }
  }
  return ok_status();
}

}  // namespace

Result<FetchMode> parse_fetch_mode(std::string_view text) {
  if (text == "verified") return FetchMode::Verified;
  if (text == "partial") return FetchMode::Partial;
  return make_error("unknown fetch mode \"" + std::string(text) + "\": expected verified or partial");
}

const char* fetch_mode_name(FetchMode mode) { return mode == FetchMode::Partial ? "partial" : "verified"; }

Result<DebStreamed> stream_from_deb(const std::string& url, const std::vector<DebExtract>& wanted, FetchMode mode,
                                    const DownloadOptions& options) {
  const std::string label = url.substr(url.rfind('/') + 1);
  if (mode == FetchMode::Verified && (!options.expected_sha256 || !options.expected_size)) {
    return make_error(label + ": a verified fetch needs the index's SHA-256 and size");
  }
  HttpStream stream(url, options);
  Md5Sums sums;
  Status extracted = extract_streaming(stream, label, wanted, &sums);
  if (!extracted) {
    // A package other than the one the index lists is that, whatever
    // libarchive made of its bytes; a broken transfer is named either way.
    if (mode == FetchMode::Verified) {
      auto whole = stream.finish();
      if (!whole) return whole.error();
    }
    return extracted.error();
  }
  DebStreamed out;
  std::string unlisted;
  for (const auto& w : wanted) {
    if (!sums.count(w.path_in_deb)) unlisted += (unlisted.empty() ? "" : ", ") + w.path_in_deb;
  }
  // Stopping early saves nothing when (nearly) all of it is here already:
  // then even partial mode takes the rest and checks the SHA-256.
  const bool nearly_all =
      options.expected_size && stream.bytes_received() + kFinishBelow >= *options.expected_size;
  if (mode == FetchMode::Partial && unlisted.empty() && !nearly_all) {
    stream.abort();
  } else {
    if (mode == FetchMode::Partial && !unlisted.empty()) {
      out.notes.push_back(label + ": its md5sums does not list " + unlisted +
                          ", so it was fetched whole and checked by SHA-256");
    }
    auto whole = stream.finish();
    if (!whole) return whole.error();
    out.sha256_checked = true;
  }
  out.bytes_fetched = stream.bytes_received();
  Status md5 = check_md5sums(sums, wanted, label);
  if (!md5) return md5.error();
  return out;
}

}  // namespace kgrid::kernels
