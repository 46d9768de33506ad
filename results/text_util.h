// Small text helpers shared by the report writers: escaping for XML/HTML,
// Markdown and shells, UTF-8 clean-up of console bytes, clipping, numbers.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace kgrid::results {

// Valid UTF-8 with no control characters but '\n' and '\t': invalid bytes
// become U+FFFD, '\r' is dropped, other C0 controls and DEL become U+FFFD.
// What a console log needs before it goes into XML or HTML.
std::string clean_text(std::string_view bytes);

// Escapes & < > " ' for XML and HTML text and attribute values.
std::string xml_escape(std::string_view text);

// One Markdown table cell: no newlines, '|' escaped, HTML special characters
// escaped so that a reason cannot inject markup.
std::string md_cell(std::string_view text);

// Percent-encodes one URL path segment (RFC 3986 unreserved characters kept).
std::string url_segment(std::string_view text);

// A shell word: as is when safe, else single-quoted.
std::string shell_word(std::string_view text);

// At most `max` bytes, cut on a UTF-8 boundary, "…" appended when cut.
std::string clip(std::string_view text, size_t max);

std::string first_line(std::string_view text);

// 38746 -> "38.7k", 1.25e6 -> "1.25M", 12 -> "12".
std::string human_number(double value);

// A signed percentage: 12.34 -> "+12%", 4.26 -> "+4.3%", -0.5 -> "-0.5%".
std::string signed_percent(double value);

// The last `max_lines` lines (at most `max_bytes`) of a file, cleaned with
// clean_text; "" if the file cannot be read.
std::string file_tail(const std::filesystem::path& path, size_t max_lines, size_t max_bytes);

}  // namespace kgrid::results
