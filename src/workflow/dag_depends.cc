#include "workflow/dag_depends.h"

#include <algorithm>
#include <cctype>

namespace corral::workflow {

namespace {

struct Tok {
  enum Kind { kName, kAnd, kOr, kNot, kOpen, kClose, kEnd } kind = kEnd;
  std::string text;
};

Result<std::vector<Tok>> Lex(const std::string& s) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (s.compare(i, 2, "&&") == 0) {
      out.push_back({Tok::kAnd, "&&"});
      i += 2;
    } else if (s.compare(i, 2, "||") == 0) {
      out.push_back({Tok::kOr, "||"});
      i += 2;
    } else if (c == '!') {
      out.push_back({Tok::kNot, "!"});
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::kOpen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Tok::kClose, ")"});
      ++i;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              s[j] == '-' || s[j] == '.'))
        ++j;
      out.push_back({Tok::kName, s.substr(i, j - i)});
      i = j;
    } else {
      return InvalidArgument("depends", std::string("unexpected '") + c + "' in '" + s + "'");
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

constexpr const char* kResults[] = {"Succeeded", "Failed",   "Errored",      "Skipped",
                                    "Omitted",   "Daemoned", "AnySucceeded", "AllFailed"};

// "A.Succeeded" -> ("A", "Succeeded"); "A" -> ("A", "").
std::pair<std::string, std::string> SplitRef(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot != std::string::npos) {
    std::string suffix = name.substr(dot + 1);
    for (const char* r : kResults)
      if (suffix == r) return {name.substr(0, dot), suffix};
  }
  return {name, ""};
}

class Evaluator {
 public:
  Evaluator(std::vector<Tok> toks, const std::map<std::string, DependencyResult>* results,
            const std::vector<std::string>* known)
      : t_(std::move(toks)), results_(results), known_(known) {}

  Result<bool> All() {
    auto v = Or();
    if (!v.ok()) return v;
    if (t_[pos_].kind != Tok::kEnd)
      return InvalidArgument("depends", "unexpected '" + t_[pos_].text + "'");
    return v;
  }

 private:
  Result<bool> Or() {
    auto a = And();
    if (!a.ok()) return a;
    bool v = *a;
    while (t_[pos_].kind == Tok::kOr) {
      ++pos_;
      auto b = And();
      if (!b.ok()) return b;
      v = v || *b;
    }
    return v;
  }
  Result<bool> And() {
    auto a = Unary();
    if (!a.ok()) return a;
    bool v = *a;
    while (t_[pos_].kind == Tok::kAnd) {
      ++pos_;
      auto b = Unary();
      if (!b.ok()) return b;
      v = v && *b;
    }
    return v;
  }
  Result<bool> Unary() {
    if (t_[pos_].kind == Tok::kNot) {
      ++pos_;
      auto a = Unary();
      if (!a.ok()) return a;
      return !*a;
    }
    if (t_[pos_].kind == Tok::kOpen) {
      ++pos_;
      auto a = Or();
      if (!a.ok()) return a;
      if (t_[pos_].kind != Tok::kClose) return InvalidArgument("depends", "expected ')'");
      ++pos_;
      return a;
    }
    if (t_[pos_].kind != Tok::kName) return InvalidArgument("depends", "expected a task name");
    auto [task, what] = SplitRef(t_[pos_++].text);
    if (known_ && std::find(known_->begin(), known_->end(), task) == known_->end())
      return InvalidArgument("depends", "unknown task '" + task + "'");
    if (!results_) return true;
    auto it = results_->find(task);
    if (it == results_->end()) return false;
    const DependencyResult& r = it->second;
    if (what.empty()) return r.succeeded || r.skipped || r.daemoned || r.continued;
    if (what == "Succeeded") return r.succeeded;
    if (what == "Failed") return r.failed;
    if (what == "Errored") return r.errored;
    if (what == "Skipped") return r.skipped;
    if (what == "Omitted") return r.omitted;
    if (what == "Daemoned") return r.daemoned;
    if (what == "AnySucceeded") return r.any_succeeded;
    return r.all_failed;
  }

  std::vector<Tok> t_;
  size_t pos_ = 0;
  const std::map<std::string, DependencyResult>* results_;
  const std::vector<std::string>* known_;
};

}  // namespace

std::vector<std::string> DependsTaskNames(const std::string& expr) {
  std::vector<std::string> out;
  auto toks = Lex(expr);
  if (!toks.ok()) return out;
  for (const auto& t : *toks) {
    if (t.kind != Tok::kName) continue;
    std::string task = SplitRef(t.text).first;
    if (std::find(out.begin(), out.end(), task) == out.end()) out.push_back(task);
  }
  return out;
}

Result<bool> EvaluateDepends(const std::string& expr,
                             const std::map<std::string, DependencyResult>& results) {
  auto toks = Lex(expr);
  if (!toks.ok()) return toks.status();
  return Evaluator(std::move(*toks), &results, nullptr).All();
}

Status CheckDepends(const std::string& expr, const std::vector<std::string>& tasks) {
  auto toks = Lex(expr);
  if (!toks.ok()) return toks.status();
  auto v = Evaluator(std::move(*toks), nullptr, &tasks).All();
  return v.ok() ? Status::Ok() : v.status();
}

}  // namespace corral::workflow
