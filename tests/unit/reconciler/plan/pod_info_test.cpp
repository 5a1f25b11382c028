#include "hso/reconciler/plan/pod_info.hpp"

#include <gtest/gtest.h>

#include "hso/util/time_format.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kKey = "srcd.host/create-headless-service";

json pod_json() {
  return json::parse(R"({
    "metadata": {
      "namespace": "default", "name": "web-0", "uid": "uid-1",
      "creationTimestamp": "2024-05-01T12:00:00Z",
      "annotations": {"srcd.host/create-headless-service": "true", "other": "x"}
    },
    "spec": {"hostname": "db", "nodeName": "node-a"},
    "status": {
      "phase": "Running",
      "podIP": "10.0.0.1",
      "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
      "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]
    }
  })");
}

TEST(PodInfoProjectionTest, KeepsTheFieldsTheOperatorNeeds) {
  const auto pod = project_pod(pod_json(), kKey);
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->namespace_name, "default");
  EXPECT_EQ(pod->name, "web-0");
  EXPECT_EQ(pod->uid, "uid-1");
  EXPECT_EQ(pod->created, std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) + 12h);
  EXPECT_TRUE(pod->wants_service);
  EXPECT_EQ(pod->spec_hostname, "db");
  EXPECT_EQ(pod->node_name, "node-a");
  EXPECT_EQ(pod->phase, PodPhase::kRunning);
  EXPECT_EQ(pod->pod_ips, (std::vector<std::string>{"10.0.0.1", "fd00::1"}));
  EXPECT_FALSE(pod->terminating);
  EXPECT_TRUE(pod->ready);
}

TEST(PodInfoProjectionTest, AnnotationMustBeExactlyTrue) {
  for (const char* value : {"True", "TRUE", "yes", "1", " true", "true "}) {
    json pod = pod_json();
    pod["metadata"]["annotations"][kKey] = value;
    const auto info = project_pod(pod, kKey);
    EXPECT_FALSE(info->wants_service) << value;
    // Such a value is kept so that the pod can be told (a Warning Event needs its uid).
    EXPECT_EQ(info->unread_annotation, value);
    EXPECT_EQ(info->uid, "uid-1") << value;
    EXPECT_TRUE(needs_attention(*info)) << value;
    EXPECT_TRUE(info->pod_ips.empty()) << value;
  }
  // "false", and an empty value, are a plain no: nothing to tell.
  for (const char* value : {"false", ""}) {
    json declined = pod_json();
    declined["metadata"]["annotations"][kKey] = value;
    EXPECT_FALSE(project_pod(declined, kKey)->wants_service) << value;
    EXPECT_FALSE(needs_attention(*project_pod(declined, kKey))) << value;
  }
  json boolean = pod_json();
  boolean["metadata"]["annotations"][kKey] = true;
  EXPECT_FALSE(project_pod(boolean, kKey)->wants_service);
  json absent = pod_json();
  absent["metadata"].erase("annotations");
  EXPECT_FALSE(project_pod(absent, kKey)->wants_service);
}

TEST(PodInfoProjectionTest, UsesTheConfiguredAnnotationKey) {
  json pod = pod_json();
  EXPECT_FALSE(project_pod(pod, "example.com/dns")->wants_service);
  pod["metadata"]["annotations"]["example.com/dns"] = "true";
  EXPECT_TRUE(project_pod(pod, "example.com/dns")->wants_service);
}

TEST(PodInfoProjectionTest, PodsThatDoNotAskKeepOnlyTheirIdentity) {
  json pod = pod_json();
  pod["metadata"]["annotations"].erase(kKey);
  const auto info = project_pod(pod, kKey);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->wants_service);
  EXPECT_EQ(info->namespace_name, "default");
  EXPECT_EQ(info->name, "web-0");
  EXPECT_EQ(info->spec_hostname, "db");
  EXPECT_EQ(info->created, std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) + 12h);
  EXPECT_EQ(info->uid, "");
  EXPECT_EQ(info->node_name, "");
  EXPECT_TRUE(info->pod_ips.empty());
  // Status churn of such a pod projects to the same value: the store reports no update.
  json moved = pod;
  moved["status"]["podIPs"] = json::array({{{"ip", "10.0.0.9"}}});
  moved["status"]["conditions"][1]["status"] = "False";
  EXPECT_EQ(*project_pod(moved, kKey), *info);
  // Malformed is malformed either way.
  pod["metadata"].erase("uid");
  EXPECT_FALSE(project_pod(pod, kKey));
}

TEST(PodInfoProjectionTest, MalformedPodsAreRejected) {
  for (const char* field : {"namespace", "name", "uid", "creationTimestamp"}) {
    json pod = pod_json();
    pod["metadata"].erase(field);
    EXPECT_FALSE(project_pod(pod, kKey)) << field;
  }
  json bad_time = pod_json();
  bad_time["metadata"]["creationTimestamp"] = "yesterday";
  EXPECT_FALSE(project_pod(bad_time, kKey));
  EXPECT_FALSE(project_pod(json::array(), kKey));
  EXPECT_FALSE(project_pod(json(), kKey));
  EXPECT_FALSE(project_pod(json{{"metadata", "x"}}, kKey));
}

TEST(PodInfoProjectionTest, MissingStatusMeansNoAddressAndNotReady) {
  json pod = pod_json();
  pod.erase("status");
  pod["spec"].erase("hostname");
  const auto info = project_pod(pod, kKey);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->pod_ips.empty());
  EXPECT_FALSE(info->ready);
  EXPECT_EQ(info->phase, PodPhase::kUnknown);
  EXPECT_EQ(info->spec_hostname, "");
}

TEST(PodInfoProjectionTest, KeepsTheSubdomainOfEveryPod) {
  json pod = pod_json();
  pod["spec"]["subdomain"] = "db-set";
  EXPECT_EQ(project_pod(pod, kKey)->spec_subdomain, "db-set");
  pod["metadata"]["annotations"].erase(kKey);
  EXPECT_EQ(project_pod(pod, kKey)->spec_subdomain, "db-set")
      << "a pod that stops asking still reaches its subdomain's key";
  pod["spec"].erase("subdomain");
  EXPECT_EQ(project_pod(pod, kKey)->spec_subdomain, "");
}

TEST(PodInfoProjectionTest, FallsBackToPodIPWhenPodIPsIsAbsent) {
  json pod = pod_json();
  pod["status"].erase("podIPs");
  EXPECT_EQ(project_pod(pod, kKey)->pod_ips, std::vector<std::string>{"10.0.0.1"});
}

// The API server validates podIPs; an object from anywhere else (or a future format) must not
// turn into a slice write that fails for every address of the pod.
TEST(PodInfoProjectionTest, KeepsOnlyValidAddressesAtMostOnePerFamily) {
  const auto ips_of = [](json pod_ips) {
    json pod = pod_json();
    pod["status"]["podIPs"] = std::move(pod_ips);
    return project_pod(pod, kKey)->pod_ips;
  };
  using Ips = std::vector<std::string>;
  EXPECT_EQ(ips_of(json::parse(R"([{"ip": "not-an-ip"}, {"ip": "fd00::1"}])")), Ips{"fd00::1"});
  EXPECT_EQ(ips_of(json::parse(R"([{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}])")), Ips{"10.0.0.1"});
  EXPECT_EQ(ips_of(json::parse(R"([{"ip": "fd00::1"}])")), Ips{"fd00::1"});
  EXPECT_EQ(ips_of(json::parse(R"([{"ip": "10.0.0.256"}, {"ip": "fd00::1::2"}])")), Ips{});
  EXPECT_EQ(ips_of(json::parse(R"([{"ip": 5}, {"ip": " 10.0.0.1"}, {}])")), Ips{});
  json pod = pod_json();
  pod["status"].erase("podIPs");
  pod["status"]["podIP"] = "10.0.0.1/24";
  EXPECT_TRUE(project_pod(pod, kKey)->pod_ips.empty());
}

TEST(PodInfoProjectionTest, ReadsPhasesDeletionAndReadiness) {
  const std::pair<const char*, PodPhase> phases[] = {{"Pending", PodPhase::kPending},
                                                     {"Running", PodPhase::kRunning},
                                                     {"Succeeded", PodPhase::kSucceeded},
                                                     {"Failed", PodPhase::kFailed},
                                                     {"Weird", PodPhase::kUnknown}};
  for (const auto& [text, phase] : phases) {
    json pod = pod_json();
    pod["status"]["phase"] = text;
    EXPECT_EQ(project_pod(pod, kKey)->phase, phase) << text;
  }
  json deleting = pod_json();
  deleting["metadata"]["deletionTimestamp"] = "2024-05-01T13:00:00Z";
  EXPECT_TRUE(project_pod(deleting, kKey)->terminating);
  json not_ready = pod_json();
  not_ready["status"]["conditions"][1]["status"] = "False";
  EXPECT_FALSE(project_pod(not_ready, kKey)->ready);
}

TEST(PodInfoTimestampTest, ParsesRfc3339) {
  const auto base = std::chrono::sys_days(std::chrono::year(2024) / 2 / 29);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), base);
  EXPECT_EQ(parse_rfc3339("2024-02-29T01:02:03.123456Z"), base + 1h + 2min + 3s);
  EXPECT_EQ(parse_rfc3339("2024-02-29T02:00:00+02:00"), base);
  EXPECT_EQ(parse_rfc3339("2024-02-28T22:30:00-01:30"), base);
  for (const char* bad : {"", "2024-02-30T00:00:00Z", "2024-02-29 00:00:00Z", "2024-02-29T00:00:00",
                          "2024-02-29T24:00:00Z", "2024-02-29T00:00:00.Z", "2024-0a-29T00:00:00Z",
                          "2024-02-29T00:00:00+0200"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(PodInfoHostnameTest, IsThePodNameWithoutSpecHostname) {
  EXPECT_EQ(effective_hostname("web-0", ""), "web-0");
}

TEST(PodInfoHostnameTest, SpecHostnameReplacesTheName) {
  EXPECT_EQ(effective_hostname("web-0", "db"), "db");
}

TEST(PodInfoHostnameTest, LongNamesAreCutTo63) {
  const std::string name(70, 'a');
  EXPECT_EQ(effective_hostname(name, ""), std::string(63, 'a'));
  EXPECT_EQ(effective_hostname(std::string(63, 'b'), ""), std::string(63, 'b'));
}

TEST(PodInfoHostnameTest, TrailingDashesAndDotsAreTrimmedAfterCutting) {
  const std::string name = std::string(60, 'a') + "-.-" + "tail";
  EXPECT_EQ(effective_hostname(name, ""), std::string(60, 'a'));
  // Only the cut triggers trimming.
  EXPECT_EQ(effective_hostname("short-", ""), "short-");
}

TEST(PodInfoHostnameTest, AppliesToSpecHostnameToo) {
  EXPECT_EQ(effective_hostname("x", std::string(64, 'h')), std::string(63, 'h'));
  PodInfo pod;
  pod.name = "web-0";
  pod.spec_hostname = "db";
  EXPECT_EQ(effective_hostname(pod), "db");
}

TEST(PodInfoPublishTest, OnlyPodsWithAnIpThatHaveNotFinished) {
  PodInfo pod;
  pod.phase = PodPhase::kRunning;
  EXPECT_FALSE(publishes_addresses(pod));
  pod.pod_ips = {"10.0.0.1"};
  EXPECT_TRUE(publishes_addresses(pod));
  pod.phase = PodPhase::kPending;
  EXPECT_TRUE(publishes_addresses(pod));
  pod.phase = PodPhase::kSucceeded;
  EXPECT_FALSE(publishes_addresses(pod));
  pod.phase = PodPhase::kFailed;
  EXPECT_FALSE(publishes_addresses(pod));
  pod.phase = PodPhase::kRunning;
  pod.terminating = true;
  EXPECT_TRUE(publishes_addresses(pod));
}

TEST(PodInfoAddressFamilyTest, TellsIPv4FromIPv6) {
  EXPECT_EQ(address_family("10.1.2.3"), AddressFamily::kIPv4);
  EXPECT_EQ(address_family("fd00::1"), AddressFamily::kIPv6);
  EXPECT_EQ(address_family("::ffff:10.1.2.3"), AddressFamily::kIPv6);
}

}  // namespace
}  // namespace hso::reconciler::plan
