#include "hso/reconciler/plan/named_ports.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/desired_objects.hpp"
#include "hso/reconciler/plan/pod_info.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

struct PortsCase {
  const char* name;
  const char* containers;  // spec.containers
  std::vector<NamedPort> expected;
};

TEST(NamedPortsTest, OnlyNamedPortsAreTakenSortedByName) {
  const std::vector<PortsCase> cases = {
      {"no ports", R"([{"name": "app"}])", {}},
      {"unnamed ports are left out", R"([{"ports": [{"containerPort": 80}]}])", {}},
      {"named, protocol defaults to TCP",
       R"([{"ports": [{"name": "http", "containerPort": 8080}]}])",
       {{"http", "TCP", 8080}}},
      {"several containers, sorted by name",
       R"([{"ports": [{"name": "web", "containerPort": 80}, {"containerPort": 81}]},
           {"ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                      {"name": "assoc", "containerPort": 3868, "protocol": "SCTP"}]}])",
       {{"assoc", "SCTP", 3868}, {"dns", "UDP", 53}, {"web", "TCP", 80}}},
      {"the same number in two protocols",
       R"([{"ports": [{"name": "dns-tcp", "containerPort": 53},
                      {"name": "dns-udp", "containerPort": 53, "protocol": "UDP"}]}])",
       {{"dns-tcp", "TCP", 53}, {"dns-udp", "UDP", 53}}},
      {"a name or a port taken earlier is left out",
       R"([{"ports": [{"name": "http", "containerPort": 80}]},
           {"ports": [{"name": "http", "containerPort": 81}, {"name": "alt", "containerPort": 80},
                      {"name": "ok", "containerPort": 82}]}])",
       {{"http", "TCP", 80}, {"ok", "TCP", 82}}},
      {"invalid numbers are left out",
       R"([{"ports": [{"name": "zero", "containerPort": 0}, {"name": "big", "containerPort": 70000},
                      {"name": "text", "containerPort": "80"}, {"name": "neg", "containerPort": -1}]}])",
       {}},
      {"malformed entries are ignored", R"([7, {"ports": "x"}, {"ports": [null, 3]}])", {}},
  };
  for (const PortsCase& c : cases) {
    const json pod = {{"spec", {{"containers", json::parse(c.containers)}}}};
    EXPECT_EQ(named_container_ports(pod), c.expected) << c.name;
  }
  EXPECT_TRUE(named_container_ports(json::object()).empty());
  EXPECT_TRUE(named_container_ports(json::parse(R"({"spec": {"containers": 3}})")).empty());
}

TEST(NamedPortsTest, ServerDefaultsAndOrderDoNotMakeListsDiffer) {
  const json ours = service_ports({{"a", "TCP", 80}, {"b", "UDP", 53}});
  const json served =
      json::parse(R"([{"name": "b", "protocol": "UDP", "port": 53, "targetPort": 53},
                                      {"name": "a", "port": 80}])");
  EXPECT_TRUE(same_service_ports(ours, served));
  EXPECT_FALSE(same_service_ports(ours, json::parse(R"([{"name": "a", "port": 80,
                                                          "targetPort": "http"},
                                                         {"name": "b", "protocol": "UDP",
                                                          "port": 53}])")));
  EXPECT_TRUE(same_service_ports(json::array(), nullptr));
  EXPECT_TRUE(same_endpoint_slice_ports(endpoint_slice_ports({}), nullptr));
  EXPECT_FALSE(same_endpoint_slice_ports(endpoint_slice_ports({{"a", "TCP", 80}}), nullptr));
}

// --- the objects ----------------------------------------------------------------------------

const ServiceRef kService{"ns", "web-0", "svc-uid"};

std::shared_ptr<const PodInfo> pod(std::vector<NamedPort> ports) {
  PodInfo info;
  info.namespace_name = "ns";
  info.name = "web-0";
  info.uid = "uid-web-0";
  info.wants_service = true;
  info.phase = PodPhase::kRunning;
  info.pod_ips = {"10.0.0.1"};
  info.ready = true;
  info.named_ports = std::move(ports);
  return std::make_shared<const PodInfo>(std::move(info));
}

ReconcileOptions publishing(bool publish) {
  ReconcileOptions options;
  options.publish_ports = publish;
  return options;
}

// As the API server returns what was written: defaults filled in, empty lists as null.
json served_service(const PodInfo& owner, const ReconcileOptions& options) {
  json service = desired_service(owner, "web-0", options);
  service["metadata"]["uid"] = "svc-uid";
  service["metadata"]["resourceVersion"] = "100";
  service["spec"]["sessionAffinity"] = "None";
  if (service["spec"].contains("ports")) {
    for (json& port : service["spec"]["ports"])
      port.erase("targetPort");
  }
  return service;
}

ObjectList served_slices(const PodInfo& owner, const ReconcileOptions& options) {
  ObjectList list;
  for (json slice : desired_endpoint_slices(owner, kService, options)) {
    slice["metadata"]["uid"] = "slice-uid";
    slice["metadata"]["resourceVersion"] = "200";
    if (slice["ports"].empty())
      slice["ports"] = nullptr;
    list.push_back(std::make_shared<const json>(std::move(slice)));
  }
  return list;
}

TEST(NamedPortsTest, TheServiceAndItsSlicesCarryThem) {
  const auto p = pod({{"http", "TCP", 8080}});
  const json service = desired_service(*p, "web-0", publishing(true));
  EXPECT_EQ(
      service["spec"]["ports"],
      json::parse(R"([{"name": "http", "protocol": "TCP", "port": 8080, "targetPort": 8080}])"));
  const auto slices = desired_endpoint_slices(*p, kService, publishing(true));
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0]["ports"],
            json::parse(R"([{"name": "http", "protocol": "TCP", "port": 8080}])"));
}

TEST(NamedPortsTest, WithoutNamedPortsOrWhenTurnedOffTheObjectsArePortless) {
  for (const auto& [p, options] : {std::pair{pod({}), publishing(true)},
                                   std::pair{pod({{"http", "TCP", 80}}), publishing(false)}}) {
    EXPECT_FALSE(desired_service(*p, "web-0", options)["spec"].contains("ports"));
    EXPECT_EQ(desired_endpoint_slices(*p, kService, options)[0]["ports"], json::array());
  }
}

struct PlanCase {
  const char* name;
  std::vector<NamedPort> served;  // the ports the existing objects have
  bool served_publishing;         // what the operator that wrote them did
  std::vector<NamedPort> now;     // the pod's named ports
  bool publish;
  json service_ports;  // expected spec.ports in the Service patch; discarded: no Service write
  json slice_ports;    // expected ports in the slice patch; discarded: no slice write
};

TEST(NamedPortsTest, PortsFollowThePodAndNothingElseWrites) {
  const json no_write = json::value_t::discarded;
  const std::vector<PlanCase> cases = {
      {"no named ports, as an older operator wrote: nothing",
       {},
       false,
       {},
       true,
       no_write,
       no_write},
      {"no named ports, turned off: nothing", {}, true, {}, false, no_write, no_write},
      {"unchanged ports: nothing",
       {{"http", "TCP", 80}},
       true,
       {{"http", "TCP", 80}},
       true,
       no_write,
       no_write},
      {"named ports appear (upgrade from a portless operator)",
       {{"http", "TCP", 80}},
       false,
       {{"http", "TCP", 80}},
       true,
       service_ports({{"http", "TCP", 80}}),
       endpoint_slice_ports({{"http", "TCP", 80}})},
      {"a port moves",
       {{"http", "TCP", 80}},
       true,
       {{"http", "TCP", 8080}},
       true,
       service_ports({{"http", "TCP", 8080}}),
       endpoint_slice_ports({{"http", "TCP", 8080}})},
      {"the ports go", {{"http", "TCP", 80}}, true, {}, true, nullptr, json::array()},
      {"publishing turned off",
       {{"http", "TCP", 80}},
       true,
       {{"http", "TCP", 80}},
       false,
       nullptr,
       json::array()},
  };
  for (const PlanCase& c : cases) {
    const auto before = pod(c.served);
    const auto now = pod(c.now);
    const json existing = served_service(*before, publishing(c.served_publishing));
    const ServicePlan plan = plan_service("ns", "web-0", {now}, &existing, publishing(c.publish));
    if (c.service_ports.is_discarded()) {
      EXPECT_EQ(plan.action, ServicePlan::Action::kNothing) << c.name << ": " << plan.body;
    } else {
      ASSERT_EQ(plan.action, ServicePlan::Action::kPatch) << c.name;
      EXPECT_EQ(plan.body["spec"]["ports"], c.service_ports) << c.name;
    }
    const auto writes = plan_dependents(now.get(), kService,
                                        served_slices(*before, publishing(c.served_publishing)),
                                        nullptr, true, publishing(c.publish));
    if (c.slice_ports.is_discarded()) {
      EXPECT_TRUE(writes.empty()) << c.name;
    } else {
      ASSERT_EQ(writes.size(), 1u) << c.name;
      EXPECT_EQ(writes[0].body["ports"], c.slice_ports) << c.name;
    }
  }
}

}  // namespace
}  // namespace hso::reconciler::plan
