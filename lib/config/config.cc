// YAML → engine_config: the document as a whole (one document, no NUL, a map), its sections
// read by the key declarations (keys.cc, with reader.hh's strict readers), then the rules
// between keys (cross_checks.cc). Every error is one config_error naming source, line and key.
#include "config/config.hh"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "cross_checks.hh"
#include "keys.hh"
#include "reader.hh"

namespace rampart::config {
namespace {

// Counts the documents in the stream with yaml-cpp's event parser, without building nodes.
// YAML::LoadAll() is not used: in yaml-cpp 0.7 a token the parser does not expect (a stray ','
// for one) is never consumed, and LoadAll() then appends null documents forever until memory
// runs out (jbeder/yaml-cpp PR #1319, fixed after 0.8; found by fuzzing parse_config). Here a
// document that starts where the previous one started is that case, reported as a syntax error.
class document_counter final : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

struct document_scan {
  int documents = 0;    // 0, 1 or 2 (the scan stops at the second)
  int second_line = 0;  // 1-based line where the second document starts
};

document_scan scan_documents(const context& ctx, const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  document_counter counter;
  document_scan scan;
  int previous_pos = -1;
  try {
    while (scan.documents < 2 && parser.HandleNextDocument(counter)) {
      if (counter.start.pos == previous_pos) {
        ctx.fail(counter.start.line + 1, document_path,
                 "YAML syntax error: unexpected character at column " +
                     std::to_string(counter.start.column + 1));
      }
      previous_pos = counter.start.pos;
      ++scan.documents;
      if (scan.documents == 2) {
        scan.second_line = counter.start.line + 1;
      }
    }
  } catch (const YAML::ParserException& e) {
    ctx.fail(e.mark.line + 1, document_path, "YAML syntax error: " + e.msg);
  }
  return scan;
}

}  // namespace

engine_config parse_config(std::istream& in, std::string_view source_name) {
  context ctx(source_name);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    ctx.fail(1, document_path, "read error");
  }
  // YAML allows no NUL in a stream; a NUL usually means a binary file was given by mistake.
  if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
    ctx.fail(static_cast<int>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n')) +
                 1,
             document_path, "contains a NUL byte; is this a binary file?");
  }
  const document_scan scan = scan_documents(ctx, text);
  if (scan.documents > 1) {
    ctx.fail(scan.second_line, document_path,
             "a second YAML document (after '---'); rampart reads one, put everything in it");
  }
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    ctx.fail(e.mark.line + 1, document_path, "YAML syntax error: " + e.msg);
  }
  if (!document.IsDefined() || document.IsNull()) {
    ctx.fail(1, document_path,
             "empty document; expected a map with sections " + document_sections() +
                 " (at least port: {ip: a.b.c.d/len})");
  }
  const field root{document, "", line_of(document)};
  if (!root.node.IsMap()) {
    ctx.fail(root.line, document_path,
             "expected a map with sections " + document_sections() + ", got " + describe_kind(root.node));
  }
  engine_config config;
  read_document(ctx, root, config);
  check_cross_fields(ctx, config);
  return config;
}

engine_config load_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw config_error(path.string() + ": is a directory, not a config file (give the YAML file, e.g. " +
                       (path / "rampart.yaml").string() + ")");
  }
  std::ifstream file(path);
  if (!file) {
    throw config_error(path.string() + ": cannot open: " + std::strerror(errno));
  }
  // Read it whole first: a read error (EIO, a FIFO gone away) is then the file's, not YAML's.
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad() || text.bad()) {
    throw config_error(path.string() + ": cannot read: " + std::strerror(errno));
  }
  return parse_config(text, path.string());
}

std::optional<listen_address> parse_listen_address(std::string_view text) noexcept {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<net::ipv4_address> address = net::ipv4_address::parse(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (!address || ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty() ||
      port_text.front() == '0' || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return listen_address{*address, static_cast<std::uint16_t>(port)};
}

}  // namespace rampart::config
