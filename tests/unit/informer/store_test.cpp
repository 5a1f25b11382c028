#include "hso/informer/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace hso::informer {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// A toy projection: enough fields to index by and to detect changes.
struct ToyPod {
  std::string name;
  std::string node;
  std::vector<std::string> tags;
  bool operator==(const ToyPod&) const = default;
};

std::optional<ToyPod> project_toy_pod(const json& object) {
  const json& spec = object.at("spec");  // throws on a missing spec: the store must cope
  if (!spec.is_object()) {
    return std::nullopt;
  }
  ToyPod pod;
  pod.name = object.at("metadata").at("name").get<std::string>();
  pod.node = spec.value("nodeName", "");
  pod.tags = spec.value("tags", std::vector<std::string>{});
  return pod;
}

json pod(const std::string& ns, const std::string& name, const std::string& node,
         std::vector<std::string> tags = {}) {
  return json{{"metadata", {{"namespace", ns}, {"name", name}}},
              {"spec", {{"nodeName", node}, {"tags", tags}}}};
}

std::vector<std::string> names(const std::vector<Store<ToyPod>::Ptr>& pods) {
  std::vector<std::string> result;
  for (const auto& p : pods) {
    result.push_back(p->name);
  }
  return result;
}

// Records every notification as "add key", "update key old->new", "delete key".
struct Recorder {
  std::vector<std::string> events;
  void attach(Store<ToyPod>& store) {
    store.on_add([this](const std::string& key, const Store<ToyPod>::Ptr& added) {
      events.push_back("add " + key + " " + added->node);
    });
    store.on_update([this](const std::string& key, const Store<ToyPod>::Ptr& old_value,
                           const Store<ToyPod>::Ptr& new_value) {
      events.push_back("update " + key + " " + old_value->node + "->" + new_value->node);
    });
    store.on_delete([this](const std::string& key, const Store<ToyPod>::Ptr& last) {
      events.push_back("delete " + key + " " + last->node);
    });
  }
};

class InformerStoreTest : public ::testing::Test {
 protected:
  Store<ToyPod> store_{"pods", project_toy_pod};
  Recorder recorder_;
  void SetUp() override {
    store_.add_index("node", [](const ToyPod& p) { return std::vector<std::string>{p.node}; });
    store_.add_index("tag", [](const ToyPod& p) { return p.tags; });
    recorder_.attach(store_);
  }
};

TEST_F(InformerStoreTest, UpsertStoresProjectionUnderNamespaceSlashName) {
  store_.upsert(pod("default", "web-1", "node-a"));
  store_.upsert(pod("other", "web-1", "node-b"));

  ASSERT_EQ(store_.size(), 2u);
  ASSERT_NE(store_.get("default/web-1"), nullptr);
  EXPECT_EQ(store_.get("default/web-1")->node, "node-a");
  EXPECT_EQ(store_.get("other/web-1")->node, "node-b");
  EXPECT_EQ(store_.get("missing/web-1"), nullptr);
  EXPECT_THAT(store_.keys(), UnorderedElementsAre("default/web-1", "other/web-1"));
  EXPECT_EQ(store_.list().size(), 2u);
  EXPECT_THAT(recorder_.events, ElementsAre("add default/web-1 node-a", "add other/web-1 node-b"));
}

TEST_F(InformerStoreTest, ClusterScopedObjectsAreKeyedByName) {
  store_.upsert(json{{"metadata", {{"name", "node-a"}}}, {"spec", json::object()}});
  EXPECT_NE(store_.get("node-a"), nullptr);
}

TEST_F(InformerStoreTest, MalformedObjectsAreSkippedWithoutCrashing) {
  store_.upsert(json{{"metadata", {{"namespace", "default"}}}, {"spec", json::object()}});
  store_.upsert(json{{"metadata", {{"namespace", "default"}, {"name", 42}}}});
  store_.upsert(json{{"metadata", {{"namespace", "default"}, {"name", "no-spec"}}}});
  store_.upsert(json{{"metadata", {{"namespace", "default"}, {"name", "bad-spec"}}},
                     {"spec", "not an object"}});
  store_.upsert(json{{"metadata", {{"namespace", "default"}, {"name", "bad-node"}}},
                     {"spec", {{"nodeName", 7}}}});
  store_.upsert(json::array());
  store_.upsert(json("just a string"));
  store_.remove(json::object());

  EXPECT_EQ(store_.size(), 0u);
  EXPECT_THAT(recorder_.events, IsEmpty());
}

TEST_F(InformerStoreTest, KnownObjectTurningMalformedKeepsItsLastGoodProjection) {
  store_.upsert(pod("default", "web-1", "node-a"));
  store_.upsert(json{{"metadata", {{"namespace", "default"}, {"name", "web-1"}}}});

  ASSERT_NE(store_.get("default/web-1"), nullptr);
  EXPECT_EQ(store_.get("default/web-1")->node, "node-a");
  EXPECT_THAT(recorder_.events, ElementsAre("add default/web-1 node-a"));
}

TEST_F(InformerStoreTest, IndexesFollowModifyAndDelete) {
  store_.upsert(pod("default", "web-1", "node-a", {"x", "y"}));
  store_.upsert(pod("default", "web-2", "node-a", {"y"}));
  EXPECT_THAT(names(store_.by_index("node", "node-a")), UnorderedElementsAre("web-1", "web-2"));
  EXPECT_THAT(names(store_.by_index("tag", "y")), UnorderedElementsAre("web-1", "web-2"));
  EXPECT_THAT(store_.keys_by_index("tag", "x"), ElementsAre("default/web-1"));

  store_.upsert(pod("default", "web-1", "node-b", {"z"}));
  EXPECT_THAT(names(store_.by_index("node", "node-a")), ElementsAre("web-2"));
  EXPECT_THAT(names(store_.by_index("node", "node-b")), ElementsAre("web-1"));
  EXPECT_THAT(names(store_.by_index("tag", "x")), IsEmpty());
  EXPECT_THAT(names(store_.by_index("tag", "y")), ElementsAre("web-2"));
  EXPECT_THAT(names(store_.by_index("tag", "z")), ElementsAre("web-1"));

  store_.remove(pod("default", "web-2", "node-a"));
  EXPECT_THAT(names(store_.by_index("node", "node-a")), IsEmpty());
  EXPECT_THAT(names(store_.by_index("tag", "y")), IsEmpty());
  EXPECT_EQ(store_.size(), 1u);

  EXPECT_THAT(recorder_.events,
              ElementsAre("add default/web-1 node-a", "add default/web-2 node-a",
                          "update default/web-1 node-a->node-b", "delete default/web-2 node-a"));
}

TEST_F(InformerStoreTest, DuplicateIndexValuesDoNotDuplicateResults) {
  store_.upsert(pod("default", "web-1", "node-a", {"x", "x"}));
  EXPECT_THAT(names(store_.by_index("tag", "x")), ElementsAre("web-1"));
  store_.remove(pod("default", "web-1", "node-a"));
  EXPECT_THAT(names(store_.by_index("tag", "x")), IsEmpty());
}

TEST_F(InformerStoreTest, UnchangedProjectionIsNotReportedAsUpdate) {
  store_.upsert(pod("default", "web-1", "node-a"));
  const auto before = store_.get("default/web-1");
  json changed_elsewhere = pod("default", "web-1", "node-a");
  changed_elsewhere["status"] = {{"phase", "Running"}};
  store_.upsert(changed_elsewhere);

  EXPECT_EQ(store_.get("default/web-1"), before);  // the same shared projection
  EXPECT_THAT(recorder_.events, ElementsAre("add default/web-1 node-a"));
}

TEST_F(InformerStoreTest, ReplaceRemovesVanishedObjectsAndReportsEachChange) {
  store_.upsert(pod("default", "stays", "node-a"));
  store_.upsert(pod("default", "moves", "node-a"));
  store_.upsert(pod("default", "vanished", "node-a"));
  recorder_.events.clear();

  auto replacement = store_.begin_replace();
  replacement->add(pod("default", "stays", "node-a"));
  replacement->add(pod("default", "moves", "node-b"));
  replacement->add(json{{"metadata", {{"name", "malformed"}}}});
  replacement->add(pod("default", "new", "node-c"));
  // Nothing is visible until commit.
  EXPECT_EQ(store_.size(), 3u);
  EXPECT_NE(store_.get("default/vanished"), nullptr);
  replacement->commit();

  EXPECT_THAT(store_.keys(), UnorderedElementsAre("default/stays", "default/moves", "default/new"));
  EXPECT_THAT(names(store_.by_index("node", "node-a")), ElementsAre("stays"));
  EXPECT_THAT(recorder_.events, UnorderedElementsAre("delete default/vanished node-a",
                                                     "update default/moves node-a->node-b",
                                                     "add default/new node-c"));
}

TEST(InformerStoreKeep, ObjectsNotKeptCostNothingAndLeavingIsADelete) {
  Store<ToyPod> store("pods", project_toy_pod, [](const ToyPod& p) { return p.node == "wanted"; });
  Recorder recorder;
  recorder.attach(store);
  store.upsert(pod("default", "never", "other"));
  EXPECT_EQ(store.size(), 0u);
  store.upsert(pod("default", "web-1", "wanted"));  // an unknown object that is now kept: added
  store.upsert(pod("default", "web-1", "other"));   // kept no more: its last value is reported
  store.remove(pod("default", "never", "other"));   // never kept: nothing to report
  EXPECT_EQ(store.size(), 0u);

  auto replacement = store.begin_replace();
  replacement->add(pod("default", "web-2", "wanted"));
  replacement->add(pod("default", "web-3", "other"));
  replacement->commit();
  EXPECT_THAT(store.keys(), ElementsAre("default/web-2"));
  EXPECT_THAT(recorder.events,
              ElementsAre("add default/web-1 wanted", "delete default/web-1 wanted",
                          "add default/web-2 wanted"));
}

TEST_F(InformerStoreTest, AbandonedReplacementChangesNothing) {
  store_.upsert(pod("default", "web-1", "node-a"));
  {
    auto replacement = store_.begin_replace();
    replacement->add(pod("default", "web-2", "node-a"));
  }
  EXPECT_THAT(store_.keys(), ElementsAre("default/web-1"));
}

TEST_F(InformerStoreTest, IndexAddedLaterCoversExistingObjects) {
  store_.upsert(pod("default", "web-1", "node-a"));
  store_.add_index("name", [](const ToyPod& p) { return std::vector<std::string>{p.name}; });
  EXPECT_THAT(names(store_.by_index("name", "web-1")), ElementsAre("web-1"));
  EXPECT_THROW(store_.add_index("name", [](const ToyPod&) { return std::vector<std::string>{}; }),
               std::invalid_argument);
  EXPECT_THROW(store_.by_index("no-such-index", "x"), std::invalid_argument);
}

TEST_F(InformerStoreTest, HandlersMayReadTheStoreAndFailWithoutHarm) {
  Store<ToyPod> store("pods", project_toy_pod);
  std::size_t size_seen = 0;
  store.on_add([&](const std::string&, const Store<ToyPod>::Ptr&) { size_seen = store.size(); });
  store.on_add([](const std::string&, const Store<ToyPod>::Ptr&) {
    throw std::runtime_error("handler bug");
  });
  store.upsert(pod("default", "web-1", "node-a"));
  EXPECT_EQ(size_seen, 1u);
  EXPECT_EQ(store.size(), 1u);
}

TEST_F(InformerStoreTest, ReadersAndAWriterRunConcurrently) {
  std::atomic<bool> writing{true};
  std::jthread reader([&] {
    while (writing) {
      for (const auto& p : store_.by_index("node", "node-a")) {
        ASSERT_EQ(p->node, "node-a");
      }
      for (const auto& p : store_.list()) {
        ASSERT_FALSE(p->name.empty());
      }
    }
  });
  for (int round = 0; round < 200; ++round) {
    const std::string node = round % 2 == 0 ? "node-a" : "node-b";
    for (int i = 0; i < 20; ++i) {
      store_.upsert(pod("default", "web-" + std::to_string(i), node));
    }
    store_.remove(pod("default", "web-" + std::to_string(round % 20), node));
  }
  writing = false;
}

}  // namespace
}  // namespace hso::informer
