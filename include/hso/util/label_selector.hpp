#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hso {

// An object's labels, key to value.
using Labels = std::map<std::string, std::string, std::less<>>;

// One condition of a label selector, with Kubernetes' meaning: `!=` and `notin` also hold when
// the label is missing; `=`, `in` and a bare key need it there.
struct LabelRequirement {
  enum class Operator { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };

  std::string key;
  Operator op = Operator::kExists;
  std::vector<std::string> values;  // one for kEquals and kNotEquals; none for the existence tests

  bool matches(const Labels& labels) const;
  bool operator==(const LabelRequirement&) const = default;
};

// A label selector in the text form kubectl and the API's labelSelector take: requirements
// separated by commas, all of which must hold (`a=b`, `a==b`, `a!=b`, `a in (x,y)`,
// `a notin (x)`, `a`, `!a`), with spaces allowed around the words. Keys are qualified names,
// values label values (`a=` asks for an empty value). The empty selector matches everything.
// Stricter than the API server in two corners, so that a typo fails at start-up rather than
// selecting something else: a value list may not be empty or hold an empty value, and the
// `>`/`<` comparisons are not offered.
class LabelSelector {
 public:
  // Matches everything.
  LabelSelector() = default;

  // nullopt and a one-line reason in `error` when `text` is not a selector.
  static std::optional<LabelSelector> parse(std::string_view text, std::string* error = nullptr);

  bool matches(const Labels& labels) const;
  bool matches_everything() const { return requirements_.empty(); }
  // The canonical text, one line ("a=b,!c,d in (x,y)"), which parses back to the same selector.
  std::string str() const;
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  explicit LabelSelector(std::vector<LabelRequirement> requirements)
      : requirements_(std::move(requirements)) {}

  std::vector<LabelRequirement> requirements_;
};

}  // namespace hso
