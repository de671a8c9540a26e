#include "api/body_parser.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "common/utf8.h"

namespace corral::api {
namespace {

using nlohmann::json;

// Builds a JSON tree value by value, knowing at each step the path of the next value, so that
// every limit and every bad string is reported where it happened. The first error stops it.
class TreeBuilder {
 public:
  explicit TreeBuilder(const BodyLimits& limits) : limits_(limits) {}

  bool failed() const { return !error_.ok(); }
  const Status& error() const { return error_; }
  json TakeRoot() { return std::move(root_); }

  bool Fail(std::string message) {
    if (!failed()) error_ = InvalidArgument(NextPath(), std::move(message));
    return false;
  }

  // Path of the value that would be added next ("body" at the top).
  std::string NextPath() const {
    std::string path;
    for (const Frame& f : stack_) {
      if (f.object) {
        if (!f.has_key) break;
        if (!path.empty()) path += '.';
        path += ToValidUtf8(f.key);
      } else {
        path += '[' + std::to_string(f.value.size()) + ']';
      }
    }
    return path.empty() ? "body" : path;
  }

  bool BeginContainer(bool object) {
    if (!Count(1)) return false;
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      return Fail(fmt::format("nested deeper than {} levels", limits_.max_depth));
    stack_.push_back({object ? json::object() : json::array(), object, {}, false, 1});
    return true;
  }

  // Closes the innermost container; `finished` (optional) receives a copy for YAML anchors.
  bool End(json* finished = nullptr, size_t* nodes = nullptr) {
    if (stack_.empty()) return Fail("unbalanced end of container");
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (finished) *finished = f.value;
    if (nodes) *nodes = f.nodes;
    return Place(std::move(f.value), f.nodes);
  }

  bool Key(const std::string& key) {
    if (stack_.empty() || !stack_.back().object) return Fail("key outside an object");
    Frame& f = stack_.back();
    if (size_t bad = FirstInvalidUtf8(key); bad != std::string::npos) {
      f.key = key;
      f.has_key = true;
      return Fail(fmt::format("key is not valid UTF-8 (byte {})", bad));
    }
    f.key = key;
    f.has_key = true;
    if (f.value.contains(key)) return Fail("duplicate key");
    return true;
  }

  // Adds a value of `nodes` nodes (more than one for an expanded YAML alias).
  bool Value(json v, size_t nodes = 1) {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (size_t bad = FirstInvalidUtf8(s); bad != std::string::npos)
        return Fail(fmt::format("is not valid UTF-8 (byte {})", bad));
    }
    if (!Count(nodes)) return false;
    return Place(std::move(v), nodes);
  }

  // Nodes held outside the tree (YAML anchors kept for later aliases) count against the limit too.
  bool Count(size_t nodes) {
    total_ += nodes;
    if (total_ > limits_.max_nodes)
      return Fail(fmt::format("expands beyond {} nodes", limits_.max_nodes));
    return true;
  }

 private:
  struct Frame {
    json value;
    bool object;
    std::string key;
    bool has_key;
    size_t nodes;
  };

  bool Place(json v, size_t nodes) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    Frame& f = stack_.back();
    f.nodes += nodes;
    if (f.object) {
      if (!f.has_key) return Fail("value without a key");
      f.value[f.key] = std::move(v);
      f.has_key = false;
    } else {
      f.value.push_back(std::move(v));
    }
    return true;
  }

  const BodyLimits& limits_;
  std::vector<Frame> stack_;
  json root_;
  size_t total_ = 0;
  Status error_;
};

// nlohmann's SAX interface over the builder. Returning false stops the parse.
class JsonSax {
 public:
  explicit JsonSax(TreeBuilder& b) : b_(b) {}
  bool null() { return b_.Value(json()); }
  bool boolean(bool v) { return b_.Value(json(v)); }
  bool number_integer(json::number_integer_t v) { return b_.Value(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return b_.Value(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return b_.Value(json(v)); }
  bool string(json::string_t& v) { return b_.Value(json(std::move(v))); }
  bool binary(json::binary_t&) { return b_.Fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return b_.BeginContainer(true); }
  bool key(json::string_t& k) { return b_.Key(k); }
  bool end_object() { return b_.End(); }
  bool start_array(std::size_t) { return b_.BeginContainer(false); }
  bool end_array() { return b_.End(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    if (b_.failed()) return false;
    if (e.id == 406)  // number overflow
      return b_.Fail("number is out of range (beyond what a double holds)");
    syntax_ = fmt::format("malformed JSON: {}", ToValidUtf8(e.what()));
    (void)position;
    return false;
  }
  const std::string& syntax_error() const { return syntax_; }

 private:
  TreeBuilder& b_;
  std::string syntax_;
};

// Thrown inside yaml-cpp's callbacks to stop the parse; caught in ParseYaml.
struct StopParse {};

// YAML scalars carry no type: plain scalars that read as numbers or booleans become those, quoted
// ones stay strings.
json YamlScalar(const std::string& tag, const std::string& s) {
  if (tag == "!") return json(s);  // quoted
  if (s == "true" || s == "True" || s == "TRUE") return json(true);
  if (s == "false" || s == "False" || s == "FALSE") return json(false);
  if (s == "null" || s == "~" || s == "Null" || s == "NULL") return json();
  if (s.empty()) return json(s);
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end && *end == '\0' && errno == 0) return json(i);
  end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end && *end == '\0' && std::isfinite(d)) return json(d);
  return json(s);
}

// yaml-cpp's events over the builder. Aliases are expanded here, counted as they expand, and
// anchored values are kept only as long as the document.
class YamlEvents : public YAML::EventHandler {
 public:
  YamlEvents(TreeBuilder& b, const BodyLimits& limits) : b_(b), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
    BeforeValue();
    Check(b_.Value(json()));
    Remember(anchor, json(), 1);
    AfterValue();
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override {
    if (++aliases_ > limits_.max_aliases) {
      b_.Fail(fmt::format("more than {} YAML aliases", limits_.max_aliases));
      throw StopParse{};
    }
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      b_.Fail("alias refers to a node that contains it");
      throw StopParse{};
    }
    if (KeyExpected()) {
      b_.Fail("mapping keys must be strings");
      throw StopParse{};
    }
    // Counted before the copy is made, so an expansion bomb stops before it takes memory.
    Check(b_.Value(it->second.first, it->second.second));
    AfterValue();
  }
  void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (KeyExpected()) {
      Check(b_.Key(value));
      key_pending_.back() = false;
      return;
    }
    json v = YamlScalar(tag, value);
    Remember(anchor, v, 1);
    Check(b_.Value(std::move(v)));
    AfterValue();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    BeforeValue();
    Check(b_.BeginContainer(false));
    open_.push_back({anchor, false});
    key_pending_.push_back(false);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    BeforeValue();
    Check(b_.BeginContainer(true));
    open_.push_back({anchor, true});
    key_pending_.push_back(true);
  }
  void OnMapEnd() override { Close(); }

 private:
  bool KeyExpected() const { return !key_pending_.empty() && key_pending_.back(); }
  void BeforeValue() {
    if (KeyExpected()) {
      b_.Fail("mapping keys must be strings");
      throw StopParse{};
    }
  }
  // After a value inside a map, the next scalar is a key again.
  void AfterValue() {
    if (!open_.empty() && open_.back().second) key_pending_.back() = true;
  }
  void Close() {
    auto [anchor, object] = open_.back();
    open_.pop_back();
    key_pending_.pop_back();
    json finished;
    size_t nodes = 0;
    Check(b_.End(anchor != YAML::NullAnchor ? &finished : nullptr, &nodes));
    if (anchor != YAML::NullAnchor) Remember(anchor, std::move(finished), nodes);
    AfterValue();
  }
  void Remember(YAML::anchor_t anchor, json value, size_t nodes) {
    if (anchor == YAML::NullAnchor) return;
    Check(b_.Count(nodes));
    anchors_[anchor] = {std::move(value), nodes};
  }
  void Check(bool ok) {
    if (!ok) throw StopParse{};
  }

  TreeBuilder& b_;
  const BodyLimits& limits_;
  std::vector<std::pair<YAML::anchor_t, bool>> open_;  // anchor, is a map
  std::vector<bool> key_pending_;
  std::map<YAML::anchor_t, std::pair<json, size_t>> anchors_;
  size_t aliases_ = 0;
};

Result<json> ParseYaml(const std::string& body, const BodyLimits& limits) {
  TreeBuilder builder(limits);
  YamlEvents events(builder, limits);
  try {
    std::istringstream in(body);
    YAML::Parser parser(in);
    parser.HandleNextDocument(events);
  } catch (const StopParse&) {
  } catch (const YAML::Exception& e) {
    return InvalidArgument("body", "malformed YAML: " + ToValidUtf8(e.what()));
  } catch (const std::exception& e) {
    return InvalidArgument("body", "unreadable YAML: " + ToValidUtf8(e.what()));
  }
  if (builder.failed()) return builder.error();
  return builder.TakeRoot();
}

Result<json> ParseJson(const std::string& body, const BodyLimits& limits) {
  TreeBuilder builder(limits);
  JsonSax sax(builder);
  bool ok = false;
  try {
    ok = json::sax_parse(body, &sax, json::input_format_t::json, /*strict=*/true);
  } catch (const std::exception& e) {
    return InvalidArgument("body", "malformed JSON: " + ToValidUtf8(e.what()));
  }
  if (builder.failed()) return builder.error();
  if (!ok) {
    return InvalidArgument(
        "body", sax.syntax_error().empty() ? std::string("malformed JSON") : sax.syntax_error());
  }
  return builder.TakeRoot();
}

}  // namespace

Result<json> ParseBody(const std::string& body, const std::string& content_type,
                       const BodyLimits& limits) {
  if (body.size() > limits.max_bytes)
    return Status(StatusCode::kResourceExhausted,
                  fmt::format("is larger than {} bytes", limits.max_bytes), "body");
  if (content_type.find("yaml") != std::string::npos) return ParseYaml(body, limits);
  return ParseJson(body, limits);
}

}  // namespace corral::api
