#include "workflow/template_text.h"

namespace corral::workflow {

namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

Result<std::string> Substitute(const std::string& text, const VariableLookup& lookup) {
  if (text.find("{{") == std::string::npos) return text;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(text, pos, open - pos);
    std::string inner = text.substr(open + 2, close - open - 2);
    std::string trimmed = Trim(inner);
    if (!trimmed.empty() && trimmed[0] == '=') {
      auto v = Evaluate(trimmed.substr(1), Dialect::kExpr, lookup);
      if (!v.ok()) {
        return InvalidArgument("expression", "'{{" + inner + "}}': " + v.status().message());
      }
      out += ToText(*v);
    } else if (auto v = lookup(trimmed)) {
      out += *v;
    } else {
      out.append(text, open, close + 2 - open);
    }
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

Result<nlohmann::json> SubstituteJson(const nlohmann::json& tree, const VariableLookup& lookup) {
  if (tree.is_string()) {
    auto s = Substitute(tree.get<std::string>(), lookup);
    if (!s.ok()) return s.status();
    return nlohmann::json(std::move(*s));
  }
  if (tree.is_array() || tree.is_object()) {
    nlohmann::json out = tree;
    for (auto it = out.begin(); it != out.end(); ++it) {
      auto v = SubstituteJson(*it, lookup);
      if (!v.ok()) return v;
      *it = std::move(*v);
    }
    return out;
  }
  return tree;
}

bool HasTag(const std::string& text) {
  size_t open = text.find("{{");
  return open != std::string::npos && text.find("}}", open) != std::string::npos;
}

Status CheckTags(const std::string& text) {
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) return Status::Ok();
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) return Status::Ok();
    std::string trimmed = Trim(text.substr(open + 2, close - open - 2));
    if (!trimmed.empty() && trimmed[0] == '=') {
      Status s = CheckSyntax(trimmed.substr(1), Dialect::kExpr);
      if (!s.ok()) return InvalidArgument("expression", "'{{" + trimmed + "}}': " + s.message());
    }
    pos = close + 2;
  }
}

}  // namespace corral::workflow
