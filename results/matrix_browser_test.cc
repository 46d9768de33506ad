// matrix.html as a user sees it: rendered by headless Chromium, which runs the
// page's script. The DOM Chromium dumps is parsed with libxml2's HTML parser
// and the screenshot is decoded with libpng, so the assertions are about what
// the browser built and drew, not about the HTML kgrid wrote.
#include <doctest/doctest.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <png.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "results/reports.h"
#include "results/testing.h"
#include "results/text_util.h"

using namespace kgrid::results;
namespace fs = std::filesystem;

namespace {

// Chromium from $KGRID_CHROMIUM or PATH; "" if there is none.
std::string find_chromium() {
  if (const char* env = std::getenv("KGRID_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      start = end + 1;
    }
  }
  return "";
}

const std::string& chromium() {
  static const std::string path = find_chromium();
  return path;
}

// Runs headless Chromium on a URL with the given extra flags; returns stdout.
std::string run_chromium(const std::string& url, const std::string& flags, const fs::path& scratch) {
  static int n = 0;
  fs::path profile = scratch / ("profile-" + std::to_string(n));
  fs::path out = scratch / ("stdout-" + std::to_string(n));
  fs::path err = scratch / ("stderr-" + std::to_string(n++));
  std::string command = "timeout -k 5 120 " + shell_word(chromium()) +
                        " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                        " --disable-background-networking --disable-component-update --disable-sync"
                        " --hide-scrollbars --user-data-dir=" + shell_word(profile.string()) + " " + flags + " " +
                        shell_word(url) + " > " + shell_word(out.string()) + " 2> " + shell_word(err.string());
  int status = std::system(command.c_str());
  INFO("chromium stderr: " << testing::read_file(err));
  REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0), "chromium failed: " << command);
  return testing::read_file(out);
}

// The DOM after the page's script ran, queried with XPath.
class Dom {
 public:
  explicit Dom(const std::string& html)
      : doc_(htmlReadMemory(html.data(), static_cast<int>(html.size()), "matrix.html", "UTF-8",
                            HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET)),
        ctx_(doc_ ? xmlXPathNewContext(doc_) : nullptr) {
    REQUIRE_MESSAGE(ctx_ != nullptr, "the dumped DOM is not parseable HTML");
  }
  ~Dom() {
    xmlXPathFreeContext(ctx_);
    xmlFreeDoc(doc_);
  }
  double number(const std::string& xpath) const {
    xmlXPathObjectPtr r = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx_);
    REQUIRE_MESSAGE(r != nullptr, "bad XPath " << xpath);
    double v = xmlXPathCastToNumber(r);
    xmlXPathFreeObject(r);
    return v;
  }
  int count(const std::string& xpath) const { return static_cast<int>(number("count(" + xpath + ")")); }
  std::string text(const std::string& xpath) const {
    xmlXPathObjectPtr r = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx_);
    REQUIRE_MESSAGE(r != nullptr, "bad XPath " << xpath);
    xmlChar* s = xmlXPathCastToString(r);
    std::string out = reinterpret_cast<const char*>(s);
    xmlFree(s);
    xmlXPathFreeObject(r);
    return out;
  }
  std::vector<std::string> strings(const std::string& xpath) const {
    std::vector<std::string> out;
    xmlXPathObjectPtr r = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx_);
    REQUIRE(r != nullptr);
    if (r->nodesetval)
      for (int i = 0; i < r->nodesetval->nodeNr; ++i) {
        xmlChar* s = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
        out.push_back(s ? reinterpret_cast<const char*>(s) : "");
        xmlFree(s);
      }
    xmlXPathFreeObject(r);
    return out;
  }

 private:
  htmlDocPtr doc_;
  xmlXPathContextPtr ctx_;
};

const std::string kRows = "//table[@id='grid']/tbody/tr[@class='kernel']";
const std::string kVisibleRows = "//table[@id='grid']/tbody[not(@hidden)]/tr[@class='kernel' and not(@hidden)]";
std::string cells(const std::string& verdict) {
  return kRows + "/td[contains(concat(' ', @class, ' '), ' cell ') and @data-verdict='" + verdict + "']";
}

struct Picture {
  unsigned width = 0, height = 0;
  std::vector<uint8_t> rgba;
  // Pixels of exactly this colour (the flat cell fills of matrix_assets.cc).
  size_t count(uint32_t rgb) const {
    size_t n = 0;
    for (size_t i = 0; i + 3 < rgba.size(); i += 4)
      n += ((uint32_t{rgba[i]} << 16) | (uint32_t{rgba[i + 1]} << 8) | rgba[i + 2]) == rgb;
    return n;
  }
};

Picture read_png(const fs::path& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE_MESSAGE(png_image_begin_read_from_file(&image, path.c_str()), "not a PNG: " << path);
  image.format = PNG_FORMAT_RGBA;
  Picture p;
  p.width = image.width;
  p.height = image.height;
  p.rgba.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, p.rgba.data(), 0, nullptr));
  return p;
}

constexpr uint32_t kPassFill = 0xd7f0dd, kFailFill = 0xfbd3cf, kPanicFill = 0xead5fb;

// Screenshots are kept in the build tree for people (and CI) to look at.
fs::path artifacts() {
  fs::path dir = fs::path(KGRID_BIN_DIR).parent_path() / "test-artifacts";
  fs::create_directories(dir);
  return dir;
}

struct Page {
  testing::TempDir dir{"matrix"};
  RunResults grid = testing::sample_grid();
  Trends trends;
  std::string url;
  Page() {
    testing::write_out_dir(dir.path(), grid);
    // Three earlier runs for two kernels: the page draws their trend.
    trends["debian-bookworm-6.1.0-50-amd64"] = {{"2026-11-18T10:00:00Z", Verdict::Pass, 2.3, 39000},
                                                {"2026-11-19T10:00:00Z", Verdict::Pass, 2.5, 38000},
                                                {"2026-11-20T10:00:00Z", Verdict::Pass, 2.4, 38746}};
    trends["debian-bookworm-6.1.0-50-cloud-amd64"] = {{"2026-11-18T10:00:00Z", Verdict::Pass, 2.1, 40000},
                                                      {"2026-11-20T10:00:00Z", Verdict::Fail, 2.2, std::nullopt}};
    REQUIRE(write_reports(dir.path(), &trends, "out").ok());
    url = "file://" + (dir.path() / "matrix.html").string();
  }
};

}  // namespace

TEST_CASE("chromium is installed (scripts/install-deps installs it)") {
  REQUIRE_MESSAGE(!chromium().empty(),
                  "chromium is missing: the matrix.html tests need headless Chromium. Install it with "
                  "scripts/install-deps (Debian package 'chromium'), or point $KGRID_CHROMIUM at a Chrome binary.");
}

TEST_CASE("matrix.html in Chromium: every kernel a row, every (kernel, column) a cell, failures with their reasons") {
  if (chromium().empty()) FAIL("chromium is missing; install it with scripts/install-deps");
  Page page;
  Dom dom(run_chromium(page.url, "--dump-dom", page.dir.path()));
  CHECK(dom.count("//body[@data-ready='1']") == 1);  // the script ran to its end

  CHECK(dom.count(kRows) == 7);
  CHECK(dom.count(kVisibleRows) == 7);
  CHECK(dom.count("//tr[@class='group-head']") == 5);
  CHECK(dom.strings("//tr[@class='group-head']/th/text()") ==
        std::vector<std::string>{"debian 5.10", "debian 6.1", "debian 6.12", "debian 7.2", "local 6.6"});
  CHECK(dom.strings("//thead/tr/th[@class='col']/text()") == std::vector<std::string>{"legacy_bpf", "modern_bpf"});
  CHECK(dom.count(kRows + "/td[contains(concat(' ', @class, ' '), ' cell ')]") == 7 * 2);
  CHECK(dom.count(cells("PASS")) == 6);
  CHECK(dom.count(cells("SKIP")) == 1);
  CHECK(dom.count(cells("FAIL")) == 2);
  CHECK(dom.count(cells("PANIC")) == 2);
  CHECK(dom.count(cells("TIMEOUT")) == 1);
  CHECK(dom.count(kRows + "/td[@class='cell none']") == 2);  // no legacy_bpf result on arm64 and sid rt

  // Failure cells carry their reasons: on hover (title), in the cell, and in the details.
  std::string cloud = kRows + "[@data-id='debian-bookworm-6.1.0-50-cloud-amd64']";
  std::string fail_cell = cloud + "/td[@data-verdict='FAIL']";
  CHECK(dom.count(fail_cell) == 1);
  CHECK(dom.text(fail_cell + "/@data-column") == "modern_bpf");
  CHECK(dom.text(fail_cell + "/@title") == testing::kVerifierReason);
  CHECK(dom.text(fail_cell + "/div[@class='reason']").find("invalid access to map value") != std::string::npos);
  CHECK(dom.text(fail_cell + "//pre[@class='why']") == testing::kVerifierReason);
  for (const auto& verdict : {"FAIL", "PANIC", "TIMEOUT"})
    for (const auto& title : dom.strings(cells(verdict) + "/@title")) CHECK_MESSAGE(title.size() > 20, verdict);
  CHECK(dom.text(kRows + "[@data-id='debian-sid-7.2.13+deb14-amd64']/td[@data-verdict='PANIC'][1]/@title") ==
        testing::kPanicReason);

  // Each row links its console log, relative to the page, and the file is there.
  for (const auto& k : page.grid.kernels) {
    std::string href = dom.text(kRows + "[@data-id='" + k.id + "']/td[@class='id']/a/@href");
    CHECK(href == "kernels/" + url_segment(k.id) + "/console.log");
    CHECK(fs::exists(page.dir.path() / "kernels" / k.id / "console.log"));
  }
  // Flavor and arch are shown; metrics too.
  CHECK(dom.text(cloud + "/td[2]") == "cloud-amd64");
  CHECK(dom.text(kRows + "[@data-id='local-6.6.0']/td[3]") == "aarch64");
  CHECK(dom.text(kRows + "[@data-id='debian-bookworm-6.1.0-50-amd64']/td[6]") == "38.7k");
  // History: a trend picture where history exists.
  CHECK(dom.count(kRows + "/td[@class='trend']/svg") == 2);
}

TEST_CASE("matrix.html filters from the URL hash: only failures, a series, an arch") {
  if (chromium().empty()) FAIL("chromium is missing; install it with scripts/install-deps");
  Page page;
  auto visible_ids = [&](const std::string& hash) {
    Dom dom(run_chromium(page.url + hash, "--dump-dom", page.dir.path()));
    REQUIRE(dom.count("//body[@data-ready='1']") == 1);
    INFO(hash << ": " << dom.text("//*[@id='shown']"));
    CHECK(dom.text("//*[@id='shown']") ==
          "showing " + std::to_string(dom.count(kVisibleRows)) + " of 7 kernels");
    return dom.strings(kVisibleRows + "/@data-id");
  };
  CHECK(visible_ids("#only=failures") ==
        std::vector<std::string>{"debian-bookworm-6.1.0-50-cloud-amd64", "debian-trixie-6.12.117+deb13-amd64",
                                 "debian-sid-7.2.13+deb14-amd64", "debian-sid-7.2.13+deb14-rt-amd64"});
  CHECK(visible_ids("#series=debian%206.1") ==
        std::vector<std::string>{"debian-bookworm-6.1.0-50-amd64", "debian-bookworm-6.1.0-50-cloud-amd64"});
  CHECK(visible_ids("#arch=aarch64") == std::vector<std::string>{"local-6.6.0"});
  CHECK(visible_ids("#only=failures&series=debian%206.1") ==
        std::vector<std::string>{"debian-bookworm-6.1.0-50-cloud-amd64"});
  CHECK(visible_ids("#only=failures&arch=aarch64").empty());
  CHECK(visible_ids("#series=no-such-series").size() == 7);  // an unknown value is ignored

  // The controls show the filter, and #open shows a failure's details.
  Dom dom(run_chromium(page.url + "#only=failures&open=debian-trixie-6.12.117%2Bdeb13-amd64", "--dump-dom",
                       page.dir.path()));
  CHECK(dom.text("//*[@id='shown']") == "showing 4 of 7 kernels");
  CHECK(dom.count("//aside[@id='detail' and not(@hidden)]") == 1);
  CHECK(dom.text("//aside[@id='detail']//pre[@class='why']") == testing::kMissingReason);
  CHECK(dom.count("//aside[@id='detail']//a[@href='kernels/debian-trixie-6.12.117%2Bdeb13-amd64/console.log']") == 1);
}

TEST_CASE("matrix.html screenshots: the grid is drawn in verdict colours, and the failure filter removes passing rows") {
  if (chromium().empty()) FAIL("chromium is missing; install it with scripts/install-deps");
  Page page;
  fs::path all = artifacts() / "matrix.png", failures = artifacts() / "matrix-only-failures.png";
  fs::path detail = artifacts() / "matrix-detail.png";
  fs::remove(all);
  fs::remove(failures);
  run_chromium(page.url, "--window-size=1400,1000 --screenshot=" + shell_word(all.string()), page.dir.path());
  run_chromium(page.url + "#only=failures", "--window-size=1400,1000 --screenshot=" + shell_word(failures.string()),
               page.dir.path());
  run_chromium(page.url + "#open=debian-bookworm-6.1.0-50-cloud-amd64",
               "--window-size=1400,1000 --screenshot=" + shell_word(detail.string()), page.dir.path());
  MESSAGE("screenshots: " << all << ", " << failures << ", " << detail);

  Picture a = read_png(all), f = read_png(failures);
  CHECK(a.width == 1400);
  CHECK(a.height == 1000);
  // Cells are at least ~150x30 px: 6 PASS cells and 3 PASS verdicts, 2 FAIL
  // cells and 2 FAIL verdicts, 2 PANIC cells and a PANIC verdict.
  size_t pass_all = a.count(kPassFill), fail_all = a.count(kFailFill), panic_all = a.count(kPanicFill);
  INFO("pass " << pass_all << " fail " << fail_all << " panic " << panic_all);
  CHECK(pass_all > 6 * 150 * 30);
  CHECK(fail_all > 2 * 150 * 30);
  CHECK(panic_all > 2 * 150 * 15);
  // Only failures: three of the six passing kernels' rows are gone, the failures stay.
  size_t pass_f = f.count(kPassFill), fail_f = f.count(kFailFill);
  INFO("filtered: pass " << pass_f << " fail " << fail_f);
  CHECK(pass_f < pass_all * 6 / 10);
  CHECK(fail_f > fail_all * 8 / 10);
}
