#include "hso/util/label_selector.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "hso/util/k8s_names.hpp"

namespace hso {
namespace {

// What a parse found wrong; caught in LabelSelector::parse.
class SelectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_delimiter(char c) {
  return is_space(c) || c == ',' || c == '(' || c == ')' || c == '=' || c == '!';
}

// A token for an error message: quoted, and never more than a line of printable text.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string shown = "'";
  for (char c : text.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    shown += (byte < 0x20 || byte >= 0x7f) ? '?' : c;
  }
  if (text.size() > kMaxShown)
    shown += "...";
  return shown + "'";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::vector<LabelRequirement> requirements() {
    std::vector<LabelRequirement> found;
    if (peek().kind == Kind::kEnd)
      return found;
    while (true) {
      found.push_back(requirement());
      const Token after = next();
      if (after.kind == Kind::kEnd)
        return found;
      if (after.kind != Kind::kComma) {
        throw SelectorError("expected ',' or the end after a requirement, found " + shown(after));
      }
    }
  }

 private:
  enum class Kind { kWord, kComma, kOpen, kClose, kEquals, kNotEquals, kBang, kEnd };
  struct Token {
    Kind kind;
    std::string_view text;
  };

  static std::string shown(const Token& token) {
    return token.kind == Kind::kEnd ? "the end" : quoted(token.text);
  }

  Token peek() {
    const std::size_t saved = position_;
    const Token token = next();
    position_ = saved;
    return token;
  }

  Token next() {
    while (position_ < text_.size() && is_space(text_[position_]))
      ++position_;
    if (position_ == text_.size())
      return {Kind::kEnd, {}};
    const std::size_t start = position_;
    const char c = text_[position_++];
    const bool doubled = position_ < text_.size() && text_[position_] == '=';
    switch (c) {
      case ',':
        return {Kind::kComma, text_.substr(start, 1)};
      case '(':
        return {Kind::kOpen, text_.substr(start, 1)};
      case ')':
        return {Kind::kClose, text_.substr(start, 1)};
      case '=':
        position_ += doubled ? 1 : 0;  // "==" means "="
        return {Kind::kEquals, text_.substr(start, position_ - start)};
      case '!':
        if (doubled) {
          ++position_;
          return {Kind::kNotEquals, text_.substr(start, 2)};
        }
        return {Kind::kBang, text_.substr(start, 1)};
      default:
        while (position_ < text_.size() && !is_delimiter(text_[position_]))
          ++position_;
        return {Kind::kWord, text_.substr(start, position_ - start)};
    }
  }

  LabelRequirement requirement() {
    Token token = next();
    if (token.kind == Kind::kBang)
      return {key(next()), LabelRequirement::Operator::kDoesNotExist, {}};
    LabelRequirement found{key(token), LabelRequirement::Operator::kExists, {}};
    token = peek();
    switch (token.kind) {
      case Kind::kEnd:
      case Kind::kComma:
        return found;
      case Kind::kEquals:
      case Kind::kNotEquals:
        next();
        found.op = token.kind == Kind::kEquals ? LabelRequirement::Operator::kEquals
                                               : LabelRequirement::Operator::kNotEquals;
        found.values.push_back(single_value(found.key));
        return found;
      case Kind::kWord:
        if (token.text == "in" || token.text == "notin") {
          next();
          found.op = token.text == "in" ? LabelRequirement::Operator::kIn
                                        : LabelRequirement::Operator::kNotIn;
          found.values = value_list(found.key);
          return found;
        }
        break;
      default:
        break;
    }
    throw SelectorError("expected =, ==, !=, in or notin after the key " + quoted(found.key) +
                        ", found " + shown(token));
  }

  static std::string key(const Token& token) {
    if (token.kind != Kind::kWord)
      throw SelectorError("expected a label key, found " + shown(token));
    if (!is_qualified_name(token.text))
      throw SelectorError(quoted(token.text) + " is not a valid label key");
    return std::string(token.text);
  }

  static std::string value(std::string_view text, const std::string& key) {
    if (!is_label_value(text)) {
      throw SelectorError(quoted(text) + " is not a valid label value (for the key " + quoted(key) +
                          ")");
    }
    return std::string(text);
  }

  // After = or !=: a value, or nothing (the empty value) before a comma or the end.
  std::string single_value(const std::string& key) {
    const Token token = peek();
    if (token.kind == Kind::kEnd || token.kind == Kind::kComma)
      return {};
    if (token.kind != Kind::kWord) {
      throw SelectorError("expected a value for the key " + quoted(key) + ", found " +
                          shown(token));
    }
    next();
    return value(token.text, key);
  }

  // After in or notin: "(" value {"," value} ")".
  std::vector<std::string> value_list(const std::string& key) {
    if (const Token open = next(); open.kind != Kind::kOpen) {
      throw SelectorError("expected '(' after in or notin for the key " + quoted(key) + ", found " +
                          shown(open));
    }
    std::vector<std::string> values;
    while (true) {
      const Token token = next();
      if (token.kind != Kind::kWord) {
        throw SelectorError("expected a value in the list of the key " + quoted(key) + ", found " +
                            shown(token) + " (a list may not be empty)");
      }
      values.push_back(value(token.text, key));
      const Token after = next();
      if (after.kind == Kind::kClose)
        break;
      if (after.kind != Kind::kComma) {
        throw SelectorError("expected ',' or ')' in the list of the key " + quoted(key) +
                            ", found " + shown(after));
      }
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace

bool LabelRequirement::matches(const Labels& labels) const {
  const auto found = labels.find(key);
  const bool present = found != labels.end();
  const auto listed = [&]() {
    return present && std::find(values.begin(), values.end(), found->second) != values.end();
  };
  switch (op) {
    case Operator::kEquals:
    case Operator::kIn:
      return listed();
    case Operator::kNotEquals:
    case Operator::kNotIn:
      return !listed();
    case Operator::kExists:
      return present;
    case Operator::kDoesNotExist:
      return !present;
  }
  return false;
}

std::optional<LabelSelector> LabelSelector::parse(std::string_view text, std::string* error) {
  try {
    return LabelSelector(Parser(text).requirements());
  } catch (const SelectorError& failure) {
    if (error != nullptr)
      *error = failure.what();
    return std::nullopt;
  }
}

std::string LabelSelector::str() const {
  std::string text;
  for (const LabelRequirement& requirement : requirements_) {
    if (!text.empty())
      text += ',';
    const auto list = [&requirement]() {
      std::string joined;
      for (const std::string& value : requirement.values)
        joined += (joined.empty() ? "" : ",") + value;
      return " (" + joined + ")";
    };
    switch (requirement.op) {
      case LabelRequirement::Operator::kEquals:
        text += requirement.key + "=" + requirement.values.front();
        break;
      case LabelRequirement::Operator::kNotEquals:
        text += requirement.key + "!=" + requirement.values.front();
        break;
      case LabelRequirement::Operator::kIn:
        text += requirement.key + " in" + list();
        break;
      case LabelRequirement::Operator::kNotIn:
        text += requirement.key + " notin" + list();
        break;
      case LabelRequirement::Operator::kExists:
        text += requirement.key;
        break;
      case LabelRequirement::Operator::kDoesNotExist:
        text += "!" + requirement.key;
        break;
    }
  }
  return text;
}

bool LabelSelector::matches(const Labels& labels) const {
  return std::all_of(
      requirements_.begin(), requirements_.end(),
      [&labels](const LabelRequirement& requirement) { return requirement.matches(labels); });
}

}  // namespace hso
