// HttpApiClient against the real local control plane (hack/local-cluster.sh).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hso/kube/client_config.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/http_api_client.hpp"
#include "support/cluster_env.hpp"
#include "support/wait.hpp"

namespace hso::kube {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::ClusterEnv;
using test::TestNamespace;
using ::testing::HasSubstr;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

template <typename F>
ApiError api_error_of(F&& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an ApiError";
  return ApiError(0, StatusReason::kUnknown, "none");
}

nlohmann::json headless_service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"labels", {{"app", "kube-client-test"}}}}},
          {"spec", {{"clusterIP", "None"}, {"ports", {{{"name", "http"}, {"port", 80}}}}}}};
}

nlohmann::json endpoint_slice(const std::string& name, const std::string& service,
                              const std::string& ip) {
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/service-name", service}}}}},
          {"addressType", "IPv4"},
          {"endpoints", {{{"addresses", {ip}}, {"conditions", {{"ready", true}}}}}},
          {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}};
}

// A service account with a token minted through the TokenRequest API.
std::string mint_token(ApiClient& admin, const std::string& ns, const std::string& account) {
  try {
    admin.create(
        "/api/v1/namespaces/" + ns + "/serviceaccounts",
        {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", account}}}});
  } catch (const ApiError& e) {
    if (!e.is_already_exists())
      throw;
  }
  const auto request =
      admin.create("/api/v1/namespaces/" + ns + "/serviceaccounts/" + account + "/token",
                   {{"apiVersion", "authentication.k8s.io/v1"},
                    {"kind", "TokenRequest"},
                    {"spec", {{"expirationSeconds", 3600}}}});
  return request.at("status").at("token").get<std::string>();
}

void grant_view(ApiClient& admin, const std::string& ns, const std::string& account) {
  admin.create(
      "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings",
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "RoleBinding"},
       {"metadata", {{"name", account + "-view"}}},
       {"roleRef",
        {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "view"}}},
       {"subjects", {{{"kind", "ServiceAccount"}, {"name", account}, {"namespace", ns}}}}});
}

ClientConfig token_config(const ClusterEnv& cluster, const std::string& token) {
  ClientConfig config = cluster.admin_config();
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  config.token = token;
  return config;
}

// RBAC changes reach the authorizer's cache quickly but not instantly.
bool eventually_allowed(ApiClient& client, const std::string& path) {
  return test::wait_until(
      [&] {
        try {
          client.list(path, {});
          return true;
        } catch (const ApiError&) {
          return false;
        }
      },
      10s, 100ms);
}

TEST(KubeClientIntegration, ServiceCrudWithPreconditionsAndSubresource) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& api = cluster->admin();
  TestNamespace ns(api, "kube-crud");
  const std::string services = "/api/v1/namespaces/" + ns.name() + "/services";

  auto created = api.create(services, headless_service("web"));
  EXPECT_EQ(created["spec"]["clusterIP"], "None");
  const std::string uid = created["metadata"]["uid"];
  EXPECT_TRUE(
      api_error_of([&] { api.create(services, headless_service("web")); }).is_already_exists());

  auto fetched = api.get(services + "/web");
  EXPECT_EQ(fetched["metadata"]["uid"], uid);

  // PUT with the current resourceVersion wins; with the old one it conflicts.
  auto changed = fetched;
  changed["metadata"]["labels"]["step"] = "update";
  auto updated = api.update(services + "/web", changed);
  EXPECT_EQ(updated["metadata"]["labels"]["step"], "update");
  const ApiError conflict = api_error_of([&] { api.update(services + "/web", changed); });
  EXPECT_TRUE(conflict.is_conflict());
  EXPECT_EQ(conflict.code(), 409);

  auto merged = api.patch(services + "/web", PatchType::kMerge,
                          {{"metadata", {{"annotations", {{"merge", "yes"}}}}}});
  EXPECT_EQ(merged["metadata"]["annotations"]["merge"], "yes");

  PatchOptions apply;
  apply.field_manager = "kube-client-test";
  apply.force = true;
  auto applied = api.patch(services + "/web", PatchType::kApply,
                           {{"apiVersion", "v1"},
                            {"kind", "Service"},
                            {"metadata", {{"name", "web"}, {"labels", {{"applied", "yes"}}}}}},
                           apply);
  EXPECT_EQ(applied["metadata"]["labels"]["applied"], "yes");
  bool manager_recorded = false;
  for (const auto& entry : applied["metadata"]["managedFields"]) {
    manager_recorded |= entry["manager"] == "kube-client-test" && entry["operation"] == "Apply";
  }
  EXPECT_TRUE(manager_recorded);

  // The /status subresource.
  auto status = api.get(services + "/web/status");
  EXPECT_EQ(status["kind"], "Service");
  auto status_patched = api.patch(services + "/web/status", PatchType::kMerge,
                                  {{"status", {{"conditions", nlohmann::json::array()}}}});
  EXPECT_EQ(status_patched["metadata"]["name"], "web");

  // Invalid: a Service name with an upper-case letter.
  const ApiError invalid =
      api_error_of([&] { api.create(services, headless_service("Bad_Name")); });
  EXPECT_TRUE(invalid.is_invalid());
  EXPECT_EQ(invalid.code(), 422);

  // Delete preconditions: the wrong uid or resourceVersion conflicts; the right ones delete.
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  EXPECT_TRUE(api_error_of([&] { api.remove(services + "/web", wrong_uid); }).is_conflict());
  DeleteOptions stale;
  stale.precondition_resource_version = created["metadata"]["resourceVersion"];
  EXPECT_TRUE(api_error_of([&] { api.remove(services + "/web", stale); }).is_conflict());
  DeleteOptions right;
  right.precondition_uid = uid;
  api.remove(services + "/web", right);
  EXPECT_TRUE(api_error_of([&] { api.get(services + "/web"); }).is_not_found());
  EXPECT_TRUE(api_error_of([&] { api.remove(services + "/web"); }).is_not_found());
}

TEST(KubeClientIntegration, EndpointSliceCrud) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& api = cluster->admin();
  TestNamespace ns(api, "kube-eps");
  const std::string slices =
      "/apis/discovery.k8s.io/v1/namespaces/" + ns.name() + "/endpointslices";
  api.create("/api/v1/namespaces/" + ns.name() + "/services", headless_service("web"));

  auto created = api.create(slices, endpoint_slice("web-ipv4", "web", "10.244.1.5"));
  EXPECT_EQ(created["endpoints"][0]["addresses"][0], "10.244.1.5");
  auto slice = api.get(slices + "/web-ipv4");
  slice["endpoints"][0]["addresses"][0] = "10.244.1.6";
  auto updated = api.update(slices + "/web-ipv4", slice);
  EXPECT_EQ(updated["endpoints"][0]["addresses"][0], "10.244.1.6");
  auto patched = api.patch(
      slices + "/web-ipv4", PatchType::kMerge,
      {{"endpoints", {{{"addresses", {"10.244.1.7"}}, {"conditions", {{"ready", false}}}}}}});
  EXPECT_EQ(patched["endpoints"][0]["conditions"]["ready"], false);
  ListOptions by_service;
  by_service.label_selector = "kubernetes.io/service-name=web";
  EXPECT_EQ(api.list(slices, by_service).items.size(), 1u);
  api.remove(slices + "/web-ipv4");
  EXPECT_TRUE(api_error_of([&] { api.get(slices + "/web-ipv4"); }).is_not_found());
}

TEST(KubeClientIntegration, PagedListOverMoreObjectsThanOnePage) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& api = cluster->admin();
  TestNamespace ns(api, "kube-paging");
  const std::string configmaps = "/api/v1/namespaces/" + ns.name() + "/configmaps";
  constexpr int kObjects = 23;
  for (int i = 0; i < kObjects; ++i) {
    api.create(
        configmaps,
        {{"apiVersion", "v1"},
         {"kind", "ConfigMap"},
         {"metadata", {{"name", "cm-" + std::to_string(i)}, {"labels", {{"set", "paging"}}}}}});
  }
  std::set<std::string> names;
  ListOptions options;
  options.limit = 5;
  options.label_selector = "set=paging";
  int pages = 0;
  std::string first_page_version;
  do {
    const ListPage page = api.list(configmaps, options);
    ++pages;
    EXPECT_LE(page.items.size(), 5u);
    if (first_page_version.empty())
      first_page_version = page.resource_version;
    EXPECT_FALSE(page.resource_version.empty());
    for (const auto& item : page.items)
      names.insert(item["metadata"]["name"].get<std::string>());
    options.continue_token = page.continue_token;
  } while (!options.continue_token.empty());
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kObjects));
}

TEST(KubeClientIntegration, WatchSeesChangesAndBookmarksAndStopsPromptly) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& api = cluster->admin();
  TestNamespace ns(api, "kube-watch");
  const std::string services = "/api/v1/namespaces/" + ns.name() + "/services";
  const ListPage initial = api.list(services, {});

  std::mutex mutex;
  std::vector<std::pair<WatchEvent::Type, std::string>> events;
  std::stop_source stop;
  std::exception_ptr failure;
  std::thread watcher([&] {
    try {
      WatchOptions options;
      options.resource_version = initial.resource_version;
      options.timeout = 120s;
      api.watch(
          services, options,
          [&](WatchEvent&& event) {
            std::lock_guard lock(mutex);
            events.emplace_back(event.type, event.object["metadata"].value("name", std::string()));
            return true;
          },
          stop.get_token());
    } catch (...) {
      failure = std::current_exception();
    }
  });
  auto seen = [&](WatchEvent::Type type) {
    std::lock_guard lock(mutex);
    for (const auto& [t, name] : events) {
      if (t == type && (type == WatchEvent::Type::kBookmark || name == "watched"))
        return true;
    }
    return false;
  };
  api.create(services, headless_service("watched"));
  api.patch(services + "/watched", PatchType::kMerge, {{"metadata", {{"labels", {{"v", "2"}}}}}});
  api.remove(services + "/watched");
  EXPECT_TRUE(test::wait_until([&] { return seen(WatchEvent::Type::kDeleted); }, 20s));
  EXPECT_TRUE(seen(WatchEvent::Type::kAdded));
  EXPECT_TRUE(seen(WatchEvent::Type::kModified));
  // The API server sends bookmarks on its own schedule (about once a minute at most).
  EXPECT_TRUE(test::wait_until([&] { return seen(WatchEvent::Type::kBookmark); }, 90s, 200ms));

  const auto asked = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  const auto took = std::chrono::steady_clock::now() - asked;
  EXPECT_LT(took, 1s);
  std::cout << "[ measure  ] watch cancellation took "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
  if (failure)
    std::rethrow_exception(failure);
}

// The watch cache serves old resourceVersions from memory whatever etcd compacted, but core/v1
// events are not watch-cached: a watch on them goes to etcd, which refuses a compacted revision.
TEST(KubeClientIntegration, WatchFromCompactedResourceVersionIsGone) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& api = cluster->admin();
  TestNamespace ns(api, "kube-gone");
  const std::string events = "/api/v1/namespaces/" + ns.name() + "/events";
  const std::string old_version = api.list(events, {}).resource_version;
  for (int i = 0; i < 3; ++i) {
    api.create("/api/v1/namespaces/" + ns.name() + "/configmaps",
               {{"metadata", {{"name", "churn-" + std::to_string(i)}}}});
  }

  // Compact etcd up to its current revision through its HTTP gateway.
  const fs::path state = fs::path(cluster->kubeconfig_path()).parent_path().parent_path();
  int etcd_port = 0;
  std::istringstream ports(read_file(state / "ports"));
  for (std::string line; std::getline(ports, line);) {
    if (line.rfind("ETCD_PORT=", 0) == 0)
      etcd_port = std::stoi(line.substr(10));
  }
  ASSERT_GT(etcd_port, 0) << "no ETCD_PORT in " << (state / "ports");
  httplib::Client etcd("127.0.0.1", etcd_port);
  auto range = etcd.Post("/v3/kv/range", R"({"key":"AA=="})", "application/json");
  ASSERT_TRUE(range && range->status == 200);
  const std::string revision = nlohmann::json::parse(range->body)["header"]["revision"];
  auto compacted = etcd.Post("/v3/kv/compaction",
                             nlohmann::json{{"revision", revision}, {"physical", true}}.dump(),
                             "application/json");
  ASSERT_TRUE(compacted && compacted->status == 200);

  WatchOptions options;
  options.resource_version = old_version;
  options.timeout = 10s;
  const ApiError gone =
      api_error_of([&] { api.watch(events, options, [](WatchEvent&&) { return true; }, {}); });
  EXPECT_TRUE(gone.is_gone()) << gone.what();
  EXPECT_EQ(gone.code(), 410);
}

TEST(KubeClientIntegration, TokenWithoutRbacIsForbiddenAndWithRbacAllowed) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& admin = cluster->admin();
  TestNamespace ns(admin, "kube-rbac");
  const std::string services = "/api/v1/namespaces/" + ns.name() + "/services";

  auto nobody = make_api_client(token_config(*cluster, mint_token(admin, ns.name(), "nobody")));
  const ApiError forbidden = api_error_of([&] { nobody->list(services, {}); });
  EXPECT_TRUE(forbidden.is_forbidden()) << forbidden.what();
  EXPECT_EQ(forbidden.reason(), StatusReason::kForbidden);
  const ApiError watch_forbidden =
      api_error_of([&] { nobody->watch(services, {}, [](WatchEvent&&) { return true; }, {}); });
  EXPECT_TRUE(watch_forbidden.is_forbidden());

  grant_view(admin, ns.name(), "viewer");
  auto viewer = make_api_client(token_config(*cluster, mint_token(admin, ns.name(), "viewer")));
  EXPECT_TRUE(eventually_allowed(*viewer, services));

  auto bogus = make_api_client(token_config(*cluster, "not-a-token"));
  EXPECT_TRUE(api_error_of([&] { bogus->list(services, {}); }).is_unauthorized());
}

TEST(KubeClientIntegration, ClientCertificateFromInlineData) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  const fs::path state = fs::path(cluster->kubeconfig_path()).parent_path().parent_path();
  const ClientConfig admin = cluster->admin_config();
  const fs::path dir = fs::temp_directory_path() / ("hso-kube-inline-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string kubeconfig = (dir / "config").string();
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: inline\n"
                               "clusters:\n- name: c\n  cluster:\n    server: "
                            << admin.server_url()
                            << "\n    certificate-authority-data: " << base64(admin.ca_pem) << "\n"
                            << "users:\n- name: u\n  user:\n    client-certificate-data: "
                            << base64(read_file(state / "pki/admin.crt"))
                            << "\n    client-key-data: "
                            << base64(read_file(state / "pki/admin.key"))
                            << "\ncontexts:\n- name: inline\n  context: {cluster: c, user: u}\n";
  const ClientConfig config = load_client_config(kubeconfig, "");
  fs::remove_all(dir);
  auto client = make_api_client(config);
  EXPECT_EQ(client->get("/api/v1/namespaces/default")["metadata"]["name"], "default");

  // The same server through tls-server-name, and a CA that did not sign it.
  ClientConfig by_name = config;
  by_name.tls_server_name = "kubernetes.default.svc";
  EXPECT_NO_THROW(make_api_client(by_name)->get("/api/v1/namespaces/default"));
  ClientConfig wrong_name = config;
  wrong_name.tls_server_name = "not-the-apiserver.example";
  ClientOptions no_retries;
  no_retries.max_retries = 0;
  EXPECT_THROW(make_api_client(wrong_name, no_retries)->get("/api/v1/namespaces/default"),
               TransportError);
  ClientConfig wrong_ca = config;
  wrong_ca.ca_pem = read_file(state / "pki/admin.crt");  // a certificate, but not the CA
  EXPECT_THROW(make_api_client(wrong_ca, no_retries)->get("/api/v1/namespaces/default"),
               TransportError);
}

TEST(KubeClientIntegration, RotatedTokenFileIsUsedWithoutRestart) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ApiClient& admin = cluster->admin();
  TestNamespace ns(admin, "kube-rotate");
  const std::string services = "/api/v1/namespaces/" + ns.name() + "/services";
  grant_view(admin, ns.name(), "reader");
  const std::string reader_token = mint_token(admin, ns.name(), "reader");
  const std::string outsider_token = mint_token(admin, ns.name(), "outsider");

  const fs::path dir = fs::temp_directory_path() / ("hso-kube-rotate-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path token_file = dir / "token";
  std::ofstream(token_file) << outsider_token;
  ClientConfig config = token_config(*cluster, "");
  config.token_file = token_file.string();
  FakeClock clock;
  ClientOptions options;
  options.clock = &clock;
  auto client = make_api_client(config, options);
  EXPECT_TRUE(api_error_of([&] { client->list(services, {}); }).is_forbidden());

  // Rotate: write the new token next to the file and rename it over (as the kubelet does).
  std::ofstream(dir / "token.new") << reader_token;
  fs::rename(dir / "token.new", token_file);
  EXPECT_TRUE(api_error_of([&] { client->list(services, {}); }).is_forbidden())
      << "the token is re-read about every minute, not on every request";
  clock.advance(61s);
  EXPECT_TRUE(eventually_allowed(*client, services));
  fs::remove_all(dir);
}

TEST(KubeClientIntegration, IndependentClientSharesNothing) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ClientOptions slow;
  slow.qps = 1;
  slow.burst = 1;
  auto limited = make_api_client(cluster->admin_config(), slow);
  ClientOptions lease_options;
  lease_options.qps = 0;
  lease_options.timeout = 5s;
  auto lease_client = limited->make_independent(lease_options);
  limited->get("/api/v1/namespaces/default");  // uses the only token of the limited client
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    lease_client->get("/api/v1/namespaces/default");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(KubeClientIntegration, MeasureRequestLatency) {
  auto* cluster = ClusterEnv::require();
  if (cluster == nullptr)
    return;
  ClientOptions options;
  options.qps = 0;
  auto client = make_api_client(cluster->admin_config(), options);
  client->get("/api/v1/namespaces/default");  // connect + TLS handshake
  constexpr int kRequests = 200;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i)
    client->get("/api/v1/namespaces/default");
  const auto took = std::chrono::steady_clock::now() - started;
  std::cout << "[ measure  ] " << kRequests << " sequential GETs over a kept-alive connection: "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() / kRequests
            << " us each\n";
}

}  // namespace
}  // namespace hso::kube
