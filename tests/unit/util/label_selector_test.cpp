#include "hso/util/label_selector.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hso {
namespace {

using Operator = LabelRequirement::Operator;

TEST(LabelSelectorTest, ParsesEachOperator) {
  struct Case {
    std::string text;
    std::vector<LabelRequirement> expected;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"  ", {}},
      {"a=b", {{"a", Operator::kEquals, {"b"}}}},
      {"a==b", {{"a", Operator::kEquals, {"b"}}}},
      {"a = b", {{"a", Operator::kEquals, {"b"}}}},
      {"a=", {{"a", Operator::kEquals, {""}}}},
      {"a!=b", {{"a", Operator::kNotEquals, {"b"}}}},
      {"a != ,b", {{"a", Operator::kNotEquals, {""}}, {"b", Operator::kExists, {}}}},
      {"a in (y, x,y)", {{"a", Operator::kIn, {"x", "y"}}}},
      {"a in(x)", {{"a", Operator::kIn, {"x"}}}},
      {"a notin (x)", {{"a", Operator::kNotIn, {"x"}}}},
      {"a", {{"a", Operator::kExists, {}}}},
      {"!a", {{"a", Operator::kDoesNotExist, {}}}},
      {" ! a ", {{"a", Operator::kDoesNotExist, {}}}},
      {"example.com/team=a,!legacy,tier in (web,db)",
       {{"example.com/team", Operator::kEquals, {"a"}},
        {"legacy", Operator::kDoesNotExist, {}},
        {"tier", Operator::kIn, {"db", "web"}}}},
      // Words only by position: a key may be called "in".
      {"in in (in)", {{"in", Operator::kIn, {"in"}}}},
  };
  for (const Case& c : cases) {
    std::string error;
    const auto selector = LabelSelector::parse(c.text, &error);
    ASSERT_TRUE(selector) << "'" << c.text << "': " << error;
    EXPECT_EQ(selector->requirements(), c.expected) << "'" << c.text << "'";
    EXPECT_EQ(selector->matches_everything(), c.expected.empty()) << "'" << c.text << "'";
    const auto again = LabelSelector::parse(selector->str());
    ASSERT_TRUE(again) << selector->str();
    EXPECT_EQ(again->requirements(), c.expected) << "'" << c.text << "' as " << selector->str();
  }
}

TEST(LabelSelectorTest, CanonicalTextIsOneLine) {
  const auto selector =
      LabelSelector::parse(" team == a ,\n!legacy,tier in ( web , db ),x notin(y),z!=,w");
  ASSERT_TRUE(selector);
  EXPECT_EQ(selector->str(), "team=a,!legacy,tier in (db,web),x notin (y),z!=,w");
  EXPECT_EQ(LabelSelector().str(), "");
}

TEST(LabelSelectorTest, RefusesMalformedTextWithOneLineSayingWhy) {
  struct Case {
    std::string text;
    std::string says;
  };
  const std::vector<Case> cases = {
      {",", "expected a label key, found ','"},
      {"a=b,", "expected a label key, found the end"},
      {"a=b,,c", "expected a label key, found ','"},
      {"a b", "after the key 'a', found 'b'"},
      {"a=b=c", "found '='"},
      {"a!", "found '!'"},
      {"!a=b", "expected ',' or the end after a requirement, found '='"},
      {"!=b", "expected a label key, found '!='"},
      {"a in x", "expected '(' after in or notin"},
      {"a in ()", "a list may not be empty"},
      {"a in (x,)", "a list may not be empty"},
      {"a in (x", "expected ',' or ')'"},
      {"a in (x y)", "expected ',' or ')'"},
      {"a=(x)", "expected a value for the key 'a', found '('"},
      {"Bad Key=x", "after the key 'Bad', found 'Key'"},
      {"-a=x", "'-a' is not a valid label key"},
      {"a/b/c", "'a/b/c' is not a valid label key"},
      {"a>1", "'a>1' is not a valid label key"},
      {"a=-x", "'-x' is not a valid label value (for the key 'a')"},
      {"a=" + std::string(64, 'v'), "is not a valid label value"},
      {"a in (x,y_)", "'y_' is not a valid label value"},
      {"a=b\nc", "after a requirement, found 'c'"},
      {"a=\x01", "'?' is not a valid label value"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(LabelSelector::parse(c.text, &error)) << "'" << c.text << "'";
    EXPECT_NE(error.find(c.says), std::string::npos)
        << "'" << c.text << "' gave: " << error << "; want: " << c.says;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  EXPECT_FALSE(LabelSelector::parse("a in ()")) << "the error text is optional";
}

TEST(LabelSelectorTest, MatchesAsKubernetesDoes) {
  const Labels on{{"hso-test", "on"}, {"team", "a"}};
  const Labels off{{"hso-test", "off"}};
  const Labels empty_value{{"hso-test", ""}};
  const Labels none;
  struct Case {
    std::string selector;
    bool on, off, empty_value, none;
  };
  const std::vector<Case> cases = {
      {"", true, true, true, true},
      {"hso-test=on", true, false, false, false},
      {"hso-test!=on", false, true, true, true},
      {"hso-test=", false, false, true, false},
      {"hso-test in (on,maybe)", true, false, false, false},
      {"hso-test notin (on)", false, true, true, true},
      {"hso-test", true, true, true, false},
      {"!hso-test", false, false, false, true},
      {"hso-test=on,team=a", true, false, false, false},
      {"hso-test=on,team=b", false, false, false, false},
      {"hso-test,!team", false, true, true, false},
  };
  for (const Case& c : cases) {
    const auto selector = LabelSelector::parse(c.selector);
    ASSERT_TRUE(selector) << c.selector;
    EXPECT_EQ(selector->matches(on), c.on) << "'" << c.selector << "' on";
    EXPECT_EQ(selector->matches(off), c.off) << "'" << c.selector << "' off";
    EXPECT_EQ(selector->matches(empty_value), c.empty_value) << "'" << c.selector << "' empty";
    EXPECT_EQ(selector->matches(none), c.none) << "'" << c.selector << "' no labels";
  }
}

TEST(LabelSelectorTest, TheDefaultMatchesEverything) {
  const LabelSelector everything;
  EXPECT_TRUE(everything.matches_everything());
  EXPECT_TRUE(everything.matches({}));
  EXPECT_TRUE(everything.matches({{"a", "b"}}));
}

}  // namespace
}  // namespace hso
