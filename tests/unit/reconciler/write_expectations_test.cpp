#include "hso/reconciler/write_expectations.hpp"

#include <gtest/gtest.h>

#include <map>

namespace hso::reconciler {
namespace {

using metrics::ObjectKind;
using nlohmann::json;
using namespace std::chrono_literals;

json object(const std::string& name, const std::string& version, const std::string& uid = "u") {
  return {{"metadata", {{"name", name}, {"resourceVersion", version}, {"uid", uid}}}};
}

class WriteExpectationsTest : public ::testing::Test {
 protected:
  std::optional<std::string> unseen(const std::string& key = "ns/web-0") {
    return expectations.unseen(key, [&](ObjectKind, const std::string& name) {
      const auto it = cache.find(name);
      return it == cache.end() ? nullptr : std::make_shared<const json>(it->second);
    });
  }

  FakeClock clock;
  WriteExpectations expectations{clock, 10s};
  std::map<std::string, json> cache;
};

TEST_F(WriteExpectationsTest, NothingWrittenNothingAwaited) {
  EXPECT_EQ(unseen(), std::nullopt);
  EXPECT_EQ(expectations.size(), 0u);
}

TEST_F(WriteExpectationsTest, ACreateIsAwaitedUntilTheCacheHasTheObject) {
  expectations.written("ns/web-0", ObjectKind::kEndpointSlice, object("web-0-ipv4", "7"), "");
  EXPECT_EQ(unseen(), "EndpointSlice web-0-ipv4");
  EXPECT_EQ(unseen("ns/other"), std::nullopt);  // per key
  cache["web-0-ipv4"] = object("web-0-ipv4", "7");
  EXPECT_EQ(unseen(), std::nullopt);
  EXPECT_EQ(expectations.size(), 0u);  // seen, forgotten
}

TEST_F(WriteExpectationsTest, AnUpdateIsSeenOnceTheCacheMovedPastTheVersionItWasPlannedFrom) {
  cache["web-0"] = object("web-0", "5");
  expectations.written("ns/web-0", ObjectKind::kService, object("web-0", "9"), "5");
  EXPECT_EQ(unseen(), "Service web-0");
  // Not necessarily our version: a later change by someone else also means the cache moved on.
  cache["web-0"] = object("web-0", "12");
  EXPECT_EQ(unseen(), std::nullopt);
}

TEST_F(WriteExpectationsTest, AWriteTheServerMadeNoChangeForExpectsNothing) {
  cache["web-0"] = object("web-0", "5");
  expectations.written("ns/web-0", ObjectKind::kService, object("web-0", "5"), "5");
  EXPECT_EQ(unseen(), std::nullopt);
  expectations.written("ns/web-0", ObjectKind::kService, json::object(), "5");  // no metadata
  EXPECT_EQ(unseen(), std::nullopt);
}

TEST_F(WriteExpectationsTest, ADeleteIsAwaitedUntilThatUidIsGone) {
  cache["web-0-ipv4"] = object("web-0-ipv4", "3", "old");
  expectations.deleted("ns/web-0", ObjectKind::kEndpointSlice, "web-0-ipv4", "old");
  EXPECT_EQ(unseen(), "EndpointSlice web-0-ipv4");
  cache["web-0-ipv4"] = object("web-0-ipv4", "4", "new");  // a namesake made since
  EXPECT_EQ(unseen(), std::nullopt);
  expectations.deleted("ns/web-0", ObjectKind::kEndpointSlice, "web-0-ipv4", "new");
  cache.erase("web-0-ipv4");
  EXPECT_EQ(unseen(), std::nullopt);
}

TEST_F(WriteExpectationsTest, ALostEventCostsNoMoreThanThePatience) {
  expectations.written("ns/web-0", ObjectKind::kEndpointSlice, object("web-0-ipv4", "7"), "");
  clock.advance(9s);
  EXPECT_EQ(unseen(), "EndpointSlice web-0-ipv4");
  clock.advance(1s);
  EXPECT_EQ(unseen(), std::nullopt);
  EXPECT_EQ(expectations.size(), 0u);
}

TEST_F(WriteExpectationsTest, EachObjectOfAKeyIsAwaited) {
  expectations.written("ns/web-0", ObjectKind::kService, object("web-0", "7"), "");
  expectations.written("ns/web-0", ObjectKind::kEndpointSlice, object("web-0-ipv4", "8"), "");
  cache["web-0"] = object("web-0", "7");
  EXPECT_EQ(unseen(), "EndpointSlice web-0-ipv4");
  cache["web-0-ipv4"] = object("web-0-ipv4", "8");
  EXPECT_EQ(unseen(), std::nullopt);
}

}  // namespace
}  // namespace hso::reconciler
