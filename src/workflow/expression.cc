#include "workflow/expression.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <memory>
#include <regex>
#include <set>
#include <vector>

namespace corral::workflow {

using nlohmann::json;

namespace {

enum class Tok {
  kEnd,
  kLBrace,
  kRBrace,
  kHash,
  kNumber,
  kString,
  kIdent,
  kOp,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kQuestion,
  kColon
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  double number = 0;
};

Result<std::vector<Token>> Lex(std::string_view s, Dialect dialect) {
  std::vector<Token> out;
  size_t i = 0;
  auto ident_char = [&](char c, bool first) {
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') return true;
    if (first) return false;
    if (std::isdigit(static_cast<unsigned char>(c))) return true;
    // govaluate words (after substitution) may hold dashes and dots: `my-step.Succeeded`.
    return dialect == Dialect::kGovaluate && (c == '-' || c == '.');
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                              s[j] == 'e' || s[j] == 'E'))
        ++j;
      // A word that starts with digits but goes on with letters is a bare word in govaluate.
      if (dialect == Dialect::kGovaluate && j < s.size() && ident_char(s[j], false) &&
          s[j] != '.') {
        while (j < s.size() && ident_char(s[j], false)) ++j;
        t.kind = Tok::kIdent;
        t.text = std::string(s.substr(i, j - i));
      } else {
        t.kind = Tok::kNumber;
        t.text = std::string(s.substr(i, j - i));
        try {
          t.number = std::stod(t.text);
        } catch (...) {
          return InvalidArgument("expression", "bad number '" + t.text + "'");
        }
      }
      i = j;
    } else if (c == '\'' || c == '"' || c == '`') {
      char q = c;
      size_t j = i + 1;
      std::string v;
      while (j < s.size() && s[j] != q) {
        if (s[j] == '\\' && j + 1 < s.size() && q != '`') {
          char e = s[j + 1];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          j += 2;
        } else {
          v += s[j++];
        }
      }
      if (j >= s.size()) return InvalidArgument("expression", "unterminated string");
      t.kind = Tok::kString;
      t.text = v;
      i = j + 1;
    } else if (ident_char(c, true)) {
      size_t j = i;
      while (j < s.size() && ident_char(s[j], false)) ++j;
      t.kind = Tok::kIdent;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (dialect == Dialect::kExpr && (c == '{' || c == '}' || c == '#')) {
      t.kind = c == '{' ? Tok::kLBrace : c == '}' ? Tok::kRBrace : Tok::kHash;
      t.text = std::string(1, c);
      ++i;
    } else if (c == '?' && i + 1 < s.size() && s[i + 1] == '?') {
      t.kind = Tok::kOp;
      t.text = "??";
      i += 2;
    } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '?' || c == ':' ||
               (c == '.' && !(i + 1 < s.size() && s[i + 1] == '.'))) {
      t.kind = c == '('   ? Tok::kLParen
               : c == ')' ? Tok::kRParen
               : c == '[' ? Tok::kLBracket
               : c == ']' ? Tok::kRBracket
               : c == ',' ? Tok::kComma
               : c == '?' ? Tok::kQuestion
               : c == ':' ? Tok::kColon
                          : Tok::kDot;
      t.text = std::string(1, c);
      ++i;
    } else {
      static const char* kOps[] = {"&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "..", "**",
                                   "??", "<",  ">",  "+",  "-",  "*",  "/",  "%",  "!"};
      bool found = false;
      for (const char* op : kOps) {
        std::string_view o(op);
        if (s.substr(i, o.size()) == o) {
          t.kind = Tok::kOp;
          t.text = std::string(o);
          i += o.size();
          found = true;
          break;
        }
      }
      if (!found) return InvalidArgument("expression", fmt::format("unexpected '{}'", c));
    }
    out.push_back(std::move(t));
  }
  out.push_back(Token{});
  return out;
}

struct Node;
using NodePtr = std::unique_ptr<Node>;
enum class NodeKind {
  kLiteral,
  kClosure,
  kElement,
  kVariable,
  kUnary,
  kBinary,
  kTernary,
  kCall,
  kMember,
  kIndex,
  kArray
};
struct Node {
  NodeKind kind = NodeKind::kLiteral;
  json value;        // literal
  std::string name;  // variable / operator / function
  std::vector<NodePtr> args;
};

NodePtr Make(NodeKind k) {
  auto n = std::make_unique<Node>();
  n->kind = k;
  return n;
}

class Parser {
 public:
  Parser(std::vector<Token> toks, Dialect d) : t_(std::move(toks)), d_(d) {}

  Result<NodePtr> ParseAll() {
    auto n = Ternary();
    if (!n.ok()) return n;
    if (Peek().kind != Tok::kEnd)
      return InvalidArgument("expression", "unexpected '" + Peek().text + "'");
    return n;
  }

 private:
  const Token& Peek() const { return t_[pos_]; }
  Token Next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
  bool IsOp(const char* op) const {
    return (Peek().kind == Tok::kOp || (Peek().kind == Tok::kIdent && d_ == Dialect::kExpr)) &&
           Peek().text == op;
  }

  Result<NodePtr> Ternary() {
    auto c = Binary(0);
    if (!c.ok()) return c;
    if (Peek().kind != Tok::kQuestion) return c;
    Next();
    auto a = Ternary();
    if (!a.ok()) return a;
    if (Peek().kind != Tok::kColon) return InvalidArgument("expression", "expected ':'");
    Next();
    auto b = Ternary();
    if (!b.ok()) return b;
    auto n = Make(NodeKind::kTernary);
    n->args.push_back(std::move(*c));
    n->args.push_back(std::move(*a));
    n->args.push_back(std::move(*b));
    return n;
  }

  static int Precedence(const std::string& op) {
    if (op == "??") return 1;
    if (op == "||" || op == "or") return 2;
    if (op == "&&" || op == "and") return 3;
    if (op == "==" || op == "!=" || op == "=~" || op == "!~" || op == "<" || op == ">" ||
        op == "<=" || op == ">=" || op == "in" || op == "contains" || op == "startsWith" ||
        op == "endsWith" || op == "matches")
      return 4;
    if (op == "..") return 5;
    if (op == "+" || op == "-") return 6;
    if (op == "*" || op == "/" || op == "%") return 7;
    if (op == "**") return 8;
    return -1;
  }

  Result<NodePtr> Binary(int min_prec) {
    auto left = Unary();
    if (!left.ok()) return left;
    while (true) {
      const Token& tk = Peek();
      bool is_op = tk.kind == Tok::kOp || (tk.kind == Tok::kIdent && d_ == Dialect::kExpr);
      // "not in"
      if (!is_op) break;
      int prec = Precedence(tk.text);
      if (prec < 0 || prec < min_prec) break;
      std::string op = Next().text;
      auto right = Binary(prec + 1);
      if (!right.ok()) return right;
      auto n = Make(NodeKind::kBinary);
      n->name = op;
      n->args.push_back(std::move(*left));
      n->args.push_back(std::move(*right));
      left = std::move(n);
    }
    return left;
  }

  Result<NodePtr> Unary() {
    if (IsOp("!") || IsOp("-") || IsOp("not")) {
      std::string op = Next().text;
      auto a = Unary();
      if (!a.ok()) return a;
      auto n = Make(NodeKind::kUnary);
      n->name = op == "not" ? "!" : op;
      n->args.push_back(std::move(*a));
      return n;
    }
    return Postfix();
  }

  Result<NodePtr> Postfix() {
    auto p = Primary();
    if (!p.ok()) return p;
    NodePtr n = std::move(*p);
    while (true) {
      if (Peek().kind == Tok::kDot) {
        Next();
        if (Peek().kind != Tok::kIdent) return InvalidArgument("expression", "expected a name");
        std::string field = Next().text;
        if (n->kind == NodeKind::kVariable) {
          n->name += "." + field;
          continue;
        }
        auto m = Make(NodeKind::kMember);
        m->name = field;
        m->args.push_back(std::move(n));
        n = std::move(m);
      } else if (Peek().kind == Tok::kLBracket) {
        Next();
        auto idx = Ternary();
        if (!idx.ok()) return idx;
        if (Peek().kind != Tok::kRBracket) return InvalidArgument("expression", "expected ']'");
        Next();
        if (n->kind == NodeKind::kVariable && (*idx)->kind == NodeKind::kLiteral &&
            (*idx)->value.is_string()) {
          n->name += "." + (*idx)->value.get<std::string>();
          continue;
        }
        auto m = Make(NodeKind::kIndex);
        m->args.push_back(std::move(n));
        m->args.push_back(std::move(*idx));
        n = std::move(m);
      } else if (Peek().kind == Tok::kLParen && n->kind == NodeKind::kVariable) {
        Next();
        auto call = Make(NodeKind::kCall);
        call->name = n->name;
        while (Peek().kind != Tok::kRParen) {
          auto a = Ternary();
          if (!a.ok()) return a;
          call->args.push_back(std::move(*a));
          if (Peek().kind == Tok::kComma) {
            Next();
          } else if (Peek().kind != Tok::kRParen) {
            return InvalidArgument("expression", "expected ')'");
          }
        }
        Next();
        n = std::move(call);
      } else {
        break;
      }
    }
    return n;
  }

  Result<NodePtr> Primary() {
    Token tk = Next();
    switch (tk.kind) {
      case Tok::kNumber: {
        auto n = Make(NodeKind::kLiteral);
        double d = tk.number;
        if (std::floor(d) == d && std::fabs(d) < 9e15 &&
            tk.text.find_first_of(".eE") == std::string::npos)
          n->value = static_cast<int64_t>(d);
        else
          n->value = d;
        return n;
      }
      case Tok::kString: {
        auto n = Make(NodeKind::kLiteral);
        n->value = tk.text;
        return n;
      }
      case Tok::kIdent: {
        if (tk.text == "true" || tk.text == "false") {
          auto n = Make(NodeKind::kLiteral);
          n->value = tk.text == "true";
          return n;
        }
        if (tk.text == "nil" || tk.text == "null") {
          auto n = Make(NodeKind::kLiteral);
          return n;
        }
        if (d_ == Dialect::kGovaluate) {
          auto n = Make(NodeKind::kLiteral);
          n->value = tk.text;
          return n;
        }
        auto n = Make(NodeKind::kVariable);
        n->name = tk.text;
        return n;
      }
      case Tok::kHash: {
        // The element a closure is applied to: `#`, `#.field`.
        auto n = Make(NodeKind::kElement);
        return n;
      }
      case Tok::kLBrace: {
        auto body = Ternary();
        if (!body.ok()) return body;
        if (Next().kind != Tok::kRBrace) return InvalidArgument("expression", "expected '}'");
        auto n = Make(NodeKind::kClosure);
        n->args.push_back(std::move(*body));
        return n;
      }
      case Tok::kLParen: {
        auto n = Ternary();
        if (!n.ok()) return n;
        if (Next().kind != Tok::kRParen) return InvalidArgument("expression", "expected ')'");
        return n;
      }
      case Tok::kLBracket: {
        auto n = Make(NodeKind::kArray);
        while (Peek().kind != Tok::kRBracket) {
          auto a = Ternary();
          if (!a.ok()) return a;
          n->args.push_back(std::move(*a));
          if (Peek().kind == Tok::kComma)
            Next();
          else if (Peek().kind != Tok::kRBracket)
            return InvalidArgument("expression", "expected ']'");
        }
        Next();
        return n;
      }
      default:
        return InvalidArgument("expression", tk.kind == Tok::kEnd ? std::string("unexpected end")
                                                                  : "unexpected '" + tk.text + "'");
    }
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  Dialect d_;
};

std::optional<double> AsNumber(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return std::nullopt;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size()) return d;
  }
  return std::nullopt;
}

json Number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  return d;
}

// A string that holds JSON (a list or object) is used as that structure.
json Structured(const json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    size_t f = s.find_first_not_of(" \t\r\n");
    if (f != std::string::npos && (s[f] == '[' || s[f] == '{')) {
      json parsed = json::parse(s, nullptr, false);
      if (!parsed.is_discarded()) return parsed;
    }
  }
  return v;
}

class Evaluator {
 public:
  Evaluator(Dialect d, const VariableLookup& lookup) : d_(d), lookup_(lookup) {}

  Result<json> Eval(const Node& n) {
    switch (n.kind) {
      case NodeKind::kLiteral:
        return n.value;
      case NodeKind::kArray: {
        json a = json::array();
        for (const auto& x : n.args) {
          auto v = Eval(*x);
          if (!v.ok()) return v;
          a.push_back(std::move(*v));
        }
        return a;
      }
      case NodeKind::kVariable:
        return Variable(n.name);
      case NodeKind::kUnary: {
        auto a = Eval(*n.args[0]);
        if (!a.ok()) return a;
        if (n.name == "!") return json(!Truthy(*a));
        auto d = AsNumber(*a);
        if (!d) return InvalidArgument("expression", "'-' needs a number");
        return Number(-*d);
      }
      case NodeKind::kTernary: {
        auto c = Eval(*n.args[0]);
        if (!c.ok()) return c;
        return Eval(*n.args[Truthy(*c) ? 1 : 2]);
      }
      case NodeKind::kBinary:
        return Binary(n);
      case NodeKind::kMember: {
        auto a = Eval(*n.args[0]);
        if (!a.ok()) return a;
        json s = Structured(*a);
        if (s.is_object() && s.contains(n.name)) return s[n.name];
        return json();
      }
      case NodeKind::kIndex: {
        auto a = Eval(*n.args[0]);
        if (!a.ok()) return a;
        auto i = Eval(*n.args[1]);
        if (!i.ok()) return i;
        json s = Structured(*a);
        if (s.is_array()) {
          auto d = AsNumber(*i);
          if (!d) return InvalidArgument("expression", "a list index must be a number");
          int64_t k = static_cast<int64_t>(*d);
          if (k < 0) k += static_cast<int64_t>(s.size());
          if (k < 0 || k >= static_cast<int64_t>(s.size())) return json();
          return s[static_cast<size_t>(k)];
        }
        if (s.is_object() && i->is_string() && s.contains(i->get<std::string>()))
          return s[i->get<std::string>()];
        return json();
      }
      case NodeKind::kCall:
        return Call(n);
      case NodeKind::kElement:
        if (elements_.empty()) return InvalidArgument("expression", "'#' outside a closure");
        return elements_.back();
      case NodeKind::kClosure:
        return InvalidArgument("expression", "a closure {...} is only an argument of a function");
    }
    return json();
  }

 private:
  Result<json> Variable(const std::string& name) {
    // The longest known prefix is the variable; the rest is member access into its JSON value.
    std::string key = name;
    std::vector<std::string> rest;
    while (true) {
      if (auto v = lookup_(key)) {
        json value = *v;
        for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
          json s = Structured(value);
          if (!s.is_object() || !s.contains(*it)) return json();
          value = s[*it];
        }
        return value;
      }
      size_t dot = key.rfind('.');
      if (dot == std::string::npos) break;
      rest.push_back(key.substr(dot + 1));
      key.resize(dot);
    }
    // expr-lang gives nil for what a map does not hold (`tasks.skipped.outputs.x ?? 'default'`).
    if (d_ == Dialect::kExpr && !strict_) return json();
    return InvalidArgument("expression", "unknown variable '" + name + "'");
  }

  Result<json> Binary(const Node& n) {
    const std::string& op = n.name;
    auto a = Eval(*n.args[0]);
    if (!a.ok()) return a;
    if (op == "&&" || op == "and") {
      if (!Truthy(*a)) return json(false);
      auto b = Eval(*n.args[1]);
      if (!b.ok()) return b;
      return json(Truthy(*b));
    }
    if (op == "||" || op == "or") {
      if (Truthy(*a)) return json(true);
      auto b = Eval(*n.args[1]);
      if (!b.ok()) return b;
      return json(Truthy(*b));
    }
    if (op == "??") {
      if (!a->is_null()) return a;
      return Eval(*n.args[1]);
    }
    auto b = Eval(*n.args[1]);
    if (!b.ok()) return b;
    const json& x = *a;
    const json& y = *b;
    auto nx = AsNumber(x), ny = AsNumber(y);
    bool numeric = nx && ny && (x.is_number() || y.is_number() || d_ == Dialect::kGovaluate);
    if (op == "==" || op == "!=") {
      bool eq;
      if (numeric)
        eq = *nx == *ny;
      else if (x.is_string() || y.is_string())
        eq = ToText(x) == ToText(y);
      else
        eq = x == y;
      return json(op == "==" ? eq : !eq);
    }
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      int c;
      if (numeric)
        c = *nx < *ny ? -1 : *nx > *ny ? 1 : 0;
      else
        c = ToText(x).compare(ToText(y)) < 0 ? -1 : ToText(x) == ToText(y) ? 0 : 1;
      if (op == "<") return json(c < 0);
      if (op == ">") return json(c > 0);
      if (op == "<=") return json(c <= 0);
      return json(c >= 0);
    }
    if (op == "=~" || op == "!~" || op == "matches") {
      try {
        bool m = std::regex_search(ToText(x), std::regex(ToText(y)));
        return json(op == "!~" ? !m : m);
      } catch (const std::regex_error&) {
        return InvalidArgument("expression", "bad regular expression '" + ToText(y) + "'");
      }
    }
    if (op == "contains") return json(ToText(x).find(ToText(y)) != std::string::npos);
    if (op == "startsWith") return json(ToText(x).rfind(ToText(y), 0) == 0);
    if (op == "endsWith") {
      std::string s = ToText(x), e = ToText(y);
      return json(s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0);
    }
    if (op == "in") {
      json s = Structured(y);
      if (s.is_array()) {
        for (const auto& e : s)
          if (e == x || ToText(e) == ToText(x)) return json(true);
        return json(false);
      }
      if (s.is_object()) return json(s.contains(ToText(x)));
      return json(ToText(y).find(ToText(x)) != std::string::npos);
    }
    if (op == "..") {
      if (!nx || !ny) return InvalidArgument("expression", "'..' needs numbers");
      json r = json::array();
      for (int64_t i = static_cast<int64_t>(*nx); i <= static_cast<int64_t>(*ny); ++i)
        r.push_back(i);
      return r;
    }
    if (op == "+" && (x.is_string() || y.is_string()) &&
        !(numeric && d_ == Dialect::kGovaluate && x.is_number()))
      if (!(x.is_number() && y.is_number())) {
        if (!(nx && ny && (x.is_number() || y.is_number()))) return json(ToText(x) + ToText(y));
      }
    if (!nx || !ny)
      return InvalidArgument("expression", fmt::format("'{}' needs numbers, got '{}' and '{}'", op,
                                                       ToText(x), ToText(y)));
    double p = *nx, q = *ny;
    bool ints = x.is_number_integer() && y.is_number_integer();
    if (op == "+") return Number(p + q);
    if (op == "-") return Number(p - q);
    if (op == "*") return Number(p * q);
    if (op == "**") return Number(std::pow(p, q));
    if (op == "/") {
      if (q == 0) return InvalidArgument("expression", "division by zero");
      if (ints && d_ == Dialect::kExpr) return json(p / q);
      return Number(p / q);
    }
    if (op == "%") {
      if (static_cast<int64_t>(q) == 0) return InvalidArgument("expression", "division by zero");
      return json(static_cast<int64_t>(p) % static_cast<int64_t>(q));
    }
    return InvalidArgument("expression", "unknown operator '" + op + "'");
  }

  Result<json> Call(const Node& n) {
    static const std::set<std::string> kClosureFunctions = {"filter", "map", "all",  "any",
                                                            "none",   "one", "count"};
    if (kClosureFunctions.count(n.name) && n.args.size() == 2 &&
        n.args[1]->kind == NodeKind::kClosure) {
      auto list = Eval(*n.args[0]);
      if (!list.ok()) return list;
      json items = Structured(*list);
      if (!items.is_array()) return InvalidArgument("expression", n.name + "() needs a list");
      json out = json::array();
      int64_t matched = 0;
      for (const auto& item : items) {
        elements_.push_back(item);
        auto v = Eval(*n.args[1]->args[0]);
        elements_.pop_back();
        if (!v.ok()) return v;
        if (n.name == "map") {
          out.push_back(*v);
        } else if (Truthy(*v)) {
          ++matched;
          if (n.name == "filter") out.push_back(item);
        }
      }
      int64_t total = static_cast<int64_t>(items.size());
      if (n.name == "filter" || n.name == "map") return out;
      if (n.name == "all") return json(matched == total);
      if (n.name == "any") return json(matched > 0);
      if (n.name == "none") return json(matched == 0);
      if (n.name == "one") return json(matched == 1);
      return json(matched);
    }
    std::vector<json> a;
    for (const auto& x : n.args) {
      auto v = Eval(*x);
      if (!v.ok()) return v;
      a.push_back(std::move(*v));
    }
    std::string f = n.name;
    if (f.rfind("sprig.", 0) == 0) f = f.substr(6);
    auto need = [&](size_t k) -> Status {
      if (a.size() < k)
        return InvalidArgument("expression", fmt::format("{}() needs {} arguments", n.name, k));
      return Status::Ok();
    };
    if (f == "asInt" || f == "int" || f == "atoi" || f == "toInt" || f == "int64") {
      CORRAL_RETURN_IF_ERROR(need(1));
      auto d = AsNumber(a[0]);
      if (!d) {
        if (f == "atoi" || f == "int" || f == "int64") return json(0);
        return InvalidArgument("expression", "asInt: '" + ToText(a[0]) + "' is not a number");
      }
      return json(static_cast<int64_t>(*d));
    }
    if (f == "asFloat" || f == "float" || f == "float64" || f == "toFloat64") {
      CORRAL_RETURN_IF_ERROR(need(1));
      auto d = AsNumber(a[0]);
      if (!d)
        return InvalidArgument("expression", "asFloat: '" + ToText(a[0]) + "' is not a number");
      return json(*d);
    }
    if (f == "string" || f == "toString" || f == "toJson" || f == "toRawJson" ||
        f == "toPrettyJson") {
      CORRAL_RETURN_IF_ERROR(need(1));
      if (f == "string" || f == "toString") return json(ToText(a[0]));
      return json(a[0].dump());
    }
    if (f == "fromJson" || f == "mustFromJson") {
      CORRAL_RETURN_IF_ERROR(need(1));
      return Structured(a[0]);
    }
    if (f == "len") {
      CORRAL_RETURN_IF_ERROR(need(1));
      json s = Structured(a[0]);
      if (s.is_array() || s.is_object()) return json(s.size());
      return json(ToText(a[0]).size());
    }
    if (f == "jsonpath") {
      CORRAL_RETURN_IF_ERROR(need(2));
      json doc = Structured(a[0]);
      return JsonPath(doc, ToText(a[1]));
    }
    if (f == "upper" || f == "lower" || f == "trim") {
      CORRAL_RETURN_IF_ERROR(need(1));
      std::string s = ToText(a[0]);
      if (f == "trim") {
        size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
        return json(b == std::string::npos ? "" : s.substr(b, e - b + 1));
      }
      for (char& c : s)
        c = static_cast<char>(f == "upper" ? std::toupper(static_cast<unsigned char>(c))
                                           : std::tolower(static_cast<unsigned char>(c)));
      return json(s);
    }
    if (f == "add" || f == "sub" || f == "mul" || f == "div" || f == "mod" || f == "max" ||
        f == "min") {
      CORRAL_RETURN_IF_ERROR(need(2));
      auto p = AsNumber(a[0]), q = AsNumber(a[1]);
      if (!p || !q) return InvalidArgument("expression", n.name + "() needs numbers");
      int64_t x = static_cast<int64_t>(*p), y = static_cast<int64_t>(*q);
      if ((f == "div" || f == "mod") && y == 0)
        return InvalidArgument("expression", "division by zero");
      int64_t r = f == "add"   ? x + y
                  : f == "sub" ? x - y
                  : f == "mul" ? x * y
                  : f == "div" ? x / y
                  : f == "mod" ? x % y
                  : f == "max" ? std::max(x, y)
                               : std::min(x, y);
      return json(r);
    }
    if (f == "default") {
      CORRAL_RETURN_IF_ERROR(need(2));
      bool empty = a[1].is_null() || (a[1].is_string() && a[1].get<std::string>().empty());
      return empty ? a[0] : a[1];
    }
    if (f == "empty") {
      CORRAL_RETURN_IF_ERROR(need(1));
      return json(a[0].is_null() || ToText(a[0]).empty());
    }
    if (f == "replace") {
      CORRAL_RETURN_IF_ERROR(need(3));
      std::string from = ToText(a[0]), to = ToText(a[1]), s = ToText(a[2]);
      if (from.empty()) return json(s);
      std::string out;
      size_t pos = 0;
      for (size_t k; (k = s.find(from, pos)) != std::string::npos; pos = k + from.size())
        out += s.substr(pos, k - pos) + to;
      return json(out + s.substr(pos));
    }
    if (f == "split" || f == "splitList") {
      CORRAL_RETURN_IF_ERROR(need(2));
      // expr: split(s, sep); sprig splitList(sep, s)
      std::string s = ToText(a[f == "split" ? 0 : 1]), sep = ToText(a[f == "split" ? 1 : 0]);
      json r = json::array();
      size_t pos = 0;
      if (sep.empty()) return json::array({s});
      for (size_t k; (k = s.find(sep, pos)) != std::string::npos; pos = k + sep.size())
        r.push_back(s.substr(pos, k - pos));
      r.push_back(s.substr(pos));
      return r;
    }
    if (f == "join") {
      CORRAL_RETURN_IF_ERROR(need(2));
      json list = Structured(a[0]);
      std::string sep = ToText(a[1]);
      if (!list.is_array()) {
        list = Structured(a[1]);
        sep = ToText(a[0]);
      }
      std::string out;
      if (list.is_array())
        for (size_t k = 0; k < list.size(); ++k) out += (k ? sep : "") + ToText(list[k]);
      return json(out);
    }
    if (f == "ternary") {
      CORRAL_RETURN_IF_ERROR(need(3));
      return Truthy(a[2]) ? a[0] : a[1];
    }
    if (f == "quote") {
      CORRAL_RETURN_IF_ERROR(need(1));
      return json("\"" + ToText(a[0]) + "\"");
    }
    if (f == "date") {
      // sprig.date(layout, time): only the year layout is used by the examples.
      CORRAL_RETURN_IF_ERROR(need(2));
      std::string t = ToText(a[1]);
      if (ToText(a[0]) == "2006" && t.size() >= 4) return json(t.substr(0, 4));
      return json(t);
    }
    return InvalidArgument("expression", "unknown function '" + n.name + "'");
  }

  Dialect d_;
  const VariableLookup& lookup_;
  std::vector<json> elements_;  // closure arguments, innermost last
  bool strict_ = false;
};

Result<NodePtr> Parse(std::string_view text, Dialect dialect) {
  auto toks = Lex(text, dialect);
  if (!toks.ok()) return toks.status();
  return Parser(std::move(*toks), dialect).ParseAll();
}

// ---- JSONPath ----

Result<json> FilterMatches(const json& item, std::string_view cond);

Result<json> ApplyPath(const json& doc, std::string_view path, bool& single) {
  std::vector<json> cur{doc};
  single = true;
  size_t i = 0;
  if (i < path.size() && path[i] == '$') ++i;
  while (i < path.size()) {
    std::vector<json> next;
    if (path[i] == '.') {
      ++i;
      if (i < path.size() && path[i] == '*') {
        ++i;
        single = false;
        for (const auto& c : cur)
          if (c.is_object() || c.is_array())
            for (const auto& e : c) next.push_back(e);
      } else {
        size_t j = i;
        while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
        std::string key(path.substr(i, j - i));
        i = j;
        for (const auto& c : cur)
          if (c.is_object() && c.contains(key)) next.push_back(c[key]);
      }
    } else if (path[i] == '[') {
      size_t close = i + 1;
      int depth = 1;
      char quote = 0;
      for (; close < path.size(); ++close) {
        char ch = path[close];
        if (quote) {
          if (ch == quote) quote = 0;
        } else if (ch == '\'' || ch == '"') {
          quote = ch;
        } else if (ch == '[') {
          ++depth;
        } else if (ch == ']' && --depth == 0) {
          break;
        }
      }
      if (close >= path.size()) return InvalidArgument("jsonpath", "missing ']'");
      std::string inner(path.substr(i + 1, close - i - 1));
      i = close + 1;
      if (inner == "*") {
        single = false;
        for (const auto& c : cur)
          if (c.is_object() || c.is_array())
            for (const auto& e : c) next.push_back(e);
      } else if (!inner.empty() && (inner[0] == '\'' || inner[0] == '"')) {
        std::string key = inner.substr(1, inner.size() - 2);
        for (const auto& c : cur)
          if (c.is_object() && c.contains(key)) next.push_back(c[key]);
      } else if (inner.rfind("?(", 0) == 0) {
        single = false;
        std::string cond = inner.substr(2, inner.size() - 3);
        for (const auto& c : cur) {
          if (!c.is_array()) continue;
          for (const auto& e : c) {
            auto m = FilterMatches(e, cond);
            if (!m.ok()) return m;
            if (Truthy(*m)) next.push_back(e);
          }
        }
      } else if (inner.find(':') != std::string::npos) {
        single = false;
        size_t colon = inner.find(':');
        // [a:b], either end left out; an end that is not an integer is an error, not a throw.
        auto end_at = [&](size_t from, size_t to, int64_t missing) -> std::optional<int64_t> {
          if (from >= to) return missing;
          int64_t v = 0;
          auto [p, ec] = std::from_chars(inner.data() + from, inner.data() + to, v);
          if (ec != std::errc() || p != inner.data() + to) return std::nullopt;
          return v;
        };
        if (!end_at(0, colon, 0) || !end_at(colon + 1, inner.size(), 0))
          return InvalidArgument("jsonpath", "bad slice '" + inner + "'");
        for (const auto& c : cur) {
          if (!c.is_array()) continue;
          int64_t n = static_cast<int64_t>(c.size());
          int64_t a = *end_at(0, colon, 0);
          int64_t b = *end_at(colon + 1, inner.size(), n);
          if (a < 0) a += n;
          if (b < 0) b += n;
          for (int64_t k = std::max<int64_t>(a, 0); k < std::min(b, n); ++k)
            next.push_back(c[static_cast<size_t>(k)]);
        }
      } else {
        int64_t k = 0;
        auto [p, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), k);
        if (ec != std::errc()) return InvalidArgument("jsonpath", "bad index '" + inner + "'");
        for (const auto& c : cur) {
          if (!c.is_array()) continue;
          int64_t kk = k < 0 ? k + static_cast<int64_t>(c.size()) : k;
          if (kk >= 0 && kk < static_cast<int64_t>(c.size()))
            next.push_back(c[static_cast<size_t>(kk)]);
        }
      }
    } else {
      return InvalidArgument("jsonpath", fmt::format("unexpected '{}'", path[i]));
    }
    cur = std::move(next);
  }
  if (single) return cur.empty() ? json() : cur[0];
  return json(cur);
}

Result<json> FilterMatches(const json& item, std::string_view cond) {
  // `@.field` and `@` are the element; everything else is an expr-lang expression.
  std::string rewritten;
  for (size_t i = 0; i < cond.size(); ++i) {
    if (cond[i] == '@') {
      rewritten += "__at";
    } else {
      rewritten += cond[i];
    }
  }
  VariableLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "__at") return item.is_string() ? item.get<std::string>() : item.dump();
    return std::nullopt;
  };
  auto ast = Parse(rewritten, Dialect::kExpr);
  if (!ast.ok()) return ast.status();
  Evaluator ev(Dialect::kExpr, lookup);
  return ev.Eval(**ast);
}

}  // namespace

bool Truthy(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return v.get<std::string>() == "true";
  return false;
}

std::string ToText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
    return fmt::format("{}", d);
  }
  return v.dump();
}

Result<json> Evaluate(std::string_view text, Dialect dialect, const VariableLookup& lookup) {
  auto ast = Parse(text, dialect);
  if (!ast.ok()) return ast.status();
  Evaluator ev(dialect, lookup);
  return ev.Eval(**ast);
}

Status CheckSyntax(std::string_view text, Dialect dialect) {
  auto ast = Parse(text, dialect);
  return ast.ok() ? Status::Ok() : ast.status();
}

Result<json> JsonPath(const json& doc, std::string_view path) {
  bool single = true;
  return ApplyPath(doc, path, single);
}

}  // namespace corral::workflow
