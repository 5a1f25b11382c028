// Reflector + Store + WorkQueue against the real local control plane (hack/local-cluster.sh).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "hso/informer/reflector.hpp"
#include "hso/informer/store.hpp"
#include "hso/workqueue/work_queue.hpp"
#include "support/cluster_env.hpp"
#include "support/forwarding_api_client.hpp"
#include "support/wait.hpp"

namespace hso::informer {
namespace {

using namespace std::chrono_literals;
using test::ClusterEnv;
using test::TestNamespace;
using ::testing::UnorderedElementsAre;

struct ConfigMapInfo {
  std::string name;
  std::string value;
  bool operator==(const ConfigMapInfo&) const = default;
};

std::optional<ConfigMapInfo> project_config_map(const nlohmann::json& object) {
  ConfigMapInfo info;
  info.name = object.at("metadata").at("name").get<std::string>();
  if (const auto data = object.find("data"); data != object.end() && data->contains("value")) {
    info.value = data->at("value").get<std::string>();
  }
  return info;
}

struct PodAddress {
  std::string name;
  std::string ip;
  bool operator==(const PodAddress&) const = default;
};

std::optional<PodAddress> project_pod(const nlohmann::json& object) {
  PodAddress pod;
  pod.name = object.at("metadata").at("name").get<std::string>();
  if (const auto status = object.find("status"); status != object.end()) {
    pod.ip = status->value("podIP", "");
  }
  return pod;
}

nlohmann::json config_map(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"reflected", "yes"}}}}},
          {"data", {{"value", value}}}};
}

// Passes every call through and counts the list pages asked for.
class PageCountingClient final : public test::ForwardingApiClient {
 public:
  using ForwardingApiClient::ForwardingApiClient;
  kube::ListPage list(const std::string& path, const kube::ListOptions& options) override {
    ++pages;
    return ForwardingApiClient::list(path, options);
  }
  std::atomic<int> pages{0};
};

// Keys the store's handlers enqueued, drained from a WorkQueue the way a controller does.
class KeyCollector {
 public:
  explicit KeyCollector(workqueue::WorkQueue& queue)
      : worker_([this, &queue](std::stop_token stop) {
          while (auto key = queue.get(stop)) {
            {
              std::lock_guard lock(mutex_);
              seen_.insert(*key);
            }
            queue.done(*key);
          }
        }) {}
  bool saw(const std::string& key) {
    std::lock_guard lock(mutex_);
    return seen_.contains(key);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> seen_;
  std::jthread worker_;
};

TEST(InformerReflectorIntegrationTest, PagedListThenWatchKeepsConfigMapsInStep) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr) {
    return;
  }
  kube::ApiClient& client = cluster->admin();
  TestNamespace ns(client, "hso-informer");
  const std::string collection = "/api/v1/namespaces/" + ns.name() + "/configmaps";

  constexpr int kObjects = 120;
  for (int i = 0; i < kObjects; ++i) {
    client.create(collection, config_map("cm-" + std::to_string(i), "v0"));
  }

  Store<ConfigMapInfo> store("configmaps", project_config_map);
  store.add_index("value",
                  [](const ConfigMapInfo& c) { return std::vector<std::string>{c.value}; });
  workqueue::WorkQueue queue;
  auto enqueue = [&queue](const std::string& key, const auto&...) { queue.add(key); };
  store.on_add(enqueue);
  store.on_update(enqueue);
  store.on_delete(enqueue);
  KeyCollector collector(queue);

  ReflectorOptions options;
  options.resource = "configmaps";
  options.collection_path = collection;
  options.label_selector = "reflected=yes";  // leaves out kube-root-ca.crt
  options.page_size = 50;                    // three pages
  PageCountingClient counting_client(client);
  Reflector reflector(counting_client, store, options);
  reflector.start();

  std::stop_source timeout;
  std::jthread watchdog([&](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    if (!never.wait_for(lock, stop, 60s, [] { return false; })) {
      timeout.request_stop();
    }
  });
  ASSERT_TRUE(reflector.wait_for_sync(timeout.get_token()));
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(store.by_index("value", "v0").size(), static_cast<std::size_t>(kObjects));
  EXPECT_FALSE(reflector.last_resource_version().empty());
  EXPECT_EQ(counting_client.pages, 3);

  // Changes arrive through the watch.
  client.create(collection, config_map("cm-new", "v1"));
  client.patch(collection + "/cm-1", kube::PatchType::kMerge, {{"data", {{"value", "v2"}}}});
  client.remove(collection + "/cm-2");
  const std::string prefix = ns.name() + "/";
  ASSERT_TRUE(test::wait_until(
      [&] {
        const auto changed = store.get(prefix + "cm-1");
        return store.get(prefix + "cm-new") != nullptr && changed != nullptr &&
               changed->value == "v2" && store.get(prefix + "cm-2") == nullptr;
      },
      30s));
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(store.by_index("value", "v0").size(), static_cast<std::size_t>(kObjects - 2));
  EXPECT_TRUE(test::wait_until(
      [&] {
        return collector.saw(prefix + "cm-new") && collector.saw(prefix + "cm-1") &&
               collector.saw(prefix + "cm-2") && collector.saw(prefix + "cm-99");
      },
      30s));

  reflector.stop();
  queue.shut_down();
}

TEST(InformerReflectorIntegrationTest, PodIpsArriveThroughTheWatch) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr) {
    return;
  }
  kube::ApiClient& client = cluster->admin();
  TestNamespace ns(client, "hso-informer-pods");

  Store<PodAddress> store("pods", project_pod);
  ReflectorOptions options;
  options.resource = "pods";
  options.collection_path = "/api/v1/namespaces/" + ns.name() + "/pods";
  Reflector reflector(client, store, options);
  reflector.start();
  ASSERT_TRUE(test::wait_until([&] { return reflector.has_synced(); }, 30s));
  EXPECT_EQ(store.size(), 0u);

  for (const char* name : {"web-0", "web-1"}) {
    test::PodSpec spec;
    spec.name = name;
    test::create_pod(client, ns.name(), spec);
  }
  const std::string prefix = ns.name() + "/";
  ASSERT_TRUE(test::wait_until(
      [&] {
        const auto a = store.get(prefix + "web-0");
        const auto b = store.get(prefix + "web-1");
        return a != nullptr && b != nullptr && !a->ip.empty() && !b->ip.empty();
      },
      60s));
  EXPECT_THAT(store.keys(), UnorderedElementsAre(prefix + "web-0", prefix + "web-1"));
  reflector.stop();
}

// The API server streams the initial state (KEP-3157): no list page is asked for, the store holds
// every object once the initial-events-end bookmark has come, and the same stream goes on as a
// watch.
TEST(InformerReflectorIntegrationTest, StreamingListThenTheSameStreamWatches) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr) {
    return;
  }
  kube::ApiClient& client = cluster->admin();
  TestNamespace ns(client, "hso-informer-stream");
  const std::string collection = "/api/v1/namespaces/" + ns.name() + "/configmaps";
  constexpr int kObjects = 30;
  for (int i = 0; i < kObjects; ++i) {
    client.create(collection, config_map("cm-" + std::to_string(i), "v0"));
  }
  Store<ConfigMapInfo> store("configmaps", project_config_map);
  ReflectorOptions options;
  options.resource = "configmaps";
  options.collection_path = collection;
  options.label_selector = "reflected=yes";
  options.stream_lists = true;
  PageCountingClient counting_client(client);
  Reflector reflector(counting_client, store, options);
  reflector.start();
  ASSERT_TRUE(test::wait_until([&] { return reflector.has_synced(); }, 30s));
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(counting_client.pages, 0);  // streamed, not listed
  EXPECT_FALSE(reflector.last_resource_version().empty());

  client.patch(collection + "/cm-3", kube::PatchType::kMerge, {{"data", {{"value", "v1"}}}});
  const std::string key = ns.name() + "/cm-3";
  ASSERT_TRUE(test::wait_until(
      [&] {
        const auto changed = store.get(key);
        return changed != nullptr && changed->value == "v1";
      },
      30s));
  EXPECT_EQ(counting_client.pages, 0);
  reflector.stop();
}

}  // namespace
}  // namespace hso::informer
