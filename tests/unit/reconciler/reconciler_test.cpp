#include "hso/reconciler/reconciler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/reconciler/plan/subdomain.hpp"
#include "support/mock_api_client.hpp"
#include "support/pod_builder.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;
using ::testing::_;
using ::testing::AnyNumber;
using ::testing::Field;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::ReturnArg;
using ::testing::StrictMock;
using ::testing::Throw;
using namespace std::chrono_literals;
using Kind = ReconcileOutcome::Kind;

const std::string kServicePath = "/api/v1/namespaces/ns/services/web-0";
const std::string kServices = "/api/v1/namespaces/ns/services";
const std::string kSlices = "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices";
const std::string kEndpointsPath = "/api/v1/namespaces/ns/endpoints/web-0";

kube::ApiError api_error(int code, kube::StatusReason reason,
                         std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  return kube::ApiError(code, reason, "message from the server", retry_after);
}

class FakePodSource : public PodSource {
 public:
  plan::PodList pods_for(const std::string& namespace_name, const std::string& hostname) override {
    plan::PodList found;
    for (const auto& pod : pods) {
      if (pod->namespace_name == namespace_name && plan::effective_hostname(*pod) == hostname) {
        found.push_back(pod);
      }
    }
    return found;
  }
  plan::PodList pods_in_subdomain(const std::string& namespace_name,
                                  const std::string& subdomain) override {
    plan::PodList found;
    for (const auto& pod : pods) {
      if (pod->namespace_name == namespace_name && pod->spec_subdomain == subdomain)
        found.push_back(pod);
    }
    return found;
  }
  plan::PodList pods;
};

class FakeObjectSource : public OwnedObjectSource {
 public:
  plan::ObjectList find(OwnedKind kind, const std::string&, const std::string& name) override {
    plan::ObjectList list;
    if (kind == OwnedKind::kEndpointSlices) {
      for (const json& slice : slices)
        list.push_back(std::make_shared<const json>(slice));
      return list;
    }
    const auto& by_name = kind == OwnedKind::kService ? services : endpoints_by_name;
    if (const auto it = by_name.find(name); it != by_name.end())
      list.push_back(std::make_shared<const json>(it->second));
    return list;
  }
  std::map<std::string, json> services;
  std::vector<json> slices;
  std::map<std::string, json> endpoints_by_name;
};

class MockEventRecorder : public EventRecorder {
 public:
  MOCK_METHOD(void, record,
              (const plan::PodInfo& pod, EventType type, std::string_view reason,
               std::string_view action, std::string_view note),
              (override));
};

class MockMetrics : public metrics::ReconcileMetrics {
 public:
  MOCK_METHOD(void, object_written, (metrics::ObjectKind, metrics::WriteAction), (override));
  MOCK_METHOD(void, reconcile_finished, (metrics::ReconcileResult, metrics::Seconds), (override));
  MOCK_METHOD(void, set_pods_managed, (std::size_t), (override));
  MOCK_METHOD(void, set_pods_skipped, (metrics::SkipReason, std::size_t), (override));
};

std::shared_ptr<const plan::PodInfo> make_pod(std::string name, std::string uid = "pod-uid") {
  return test::PodBuilder(std::move(name))
      .uid(std::move(uid))
      .created(std::chrono::sys_days(std::chrono::year(2024) / 1 / 1))
      .asking()
      .running({"10.0.0.1"}, "node-a")
      .ready()
      .shared();
}

json with_server_fields(json object, const std::string& uid) {
  object["metadata"]["uid"] = uid;
  object["metadata"]["resourceVersion"] = "42";
  object["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z";
  return object;
}

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() {
    ON_CALL(metrics, reconcile_finished(_, _)).WillByDefault(Return());
    EXPECT_CALL(metrics, reconcile_finished(_, _)).Times(AnyNumber());
    EXPECT_CALL(metrics, set_pods_managed(_)).Times(AnyNumber());
    EXPECT_CALL(metrics, set_pods_skipped(_, _)).Times(AnyNumber());
  }

  Reconciler make(plan::ReconcileOptions options = {}) {
    return Reconciler(api, pods, objects, events, metrics, clock, std::move(options));
  }

  // The objects the operator would have written for `pod`, as the server returns them.
  void world_matches(const plan::PodInfo& pod, const plan::ReconcileOptions& options = {}) {
    json service = with_server_fields(plan::desired_service(pod, "web-0", options), "svc-uid");
    service["spec"]["sessionAffinity"] = "None";
    service["spec"]["ipFamilies"] = json::array({"IPv4"});
    objects.services["web-0"] = service;
    objects.slices.clear();
    for (json slice : plan::desired_endpoint_slices(pod, {"ns", "web-0", "svc-uid"}, options)) {
      slice["ports"] = nullptr;
      objects.slices.push_back(with_server_fields(slice, "slice-uid"));
    }
  }

  StrictMock<test::MockApiClient> api;
  FakePodSource pods;
  FakeObjectSource objects;
  StrictMock<MockEventRecorder> events;
  StrictMock<MockMetrics> metrics;
  FakeClock clock;
};

TEST_F(ReconcilerTest, CreatesTheServiceAndItsSlice) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  EXPECT_CALL(api, create(kServices, plan::desired_service(*pod, "web-0", {})))
      .WillOnce(
          [](const std::string&, const json& body) { return with_server_fields(body, "new-uid"); });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce([&](const std::string&, const json& body) {
    EXPECT_EQ(body, plan::desired_endpoint_slices(*pod, {"ns", "web-0", "new-uid"}, {})[0]);
    return body;
  });
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kService, metrics::WriteAction::kCreate));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kEndpointSlice, metrics::WriteAction::kCreate));
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kSuccess, _));
  EXPECT_CALL(metrics, set_pods_managed(1u));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

// A burst: the Service's own watch event brings the key back before the slice's has arrived.
// Planning from that cache would create the slice again (409) and wait a second; the reconcile
// waits for the caches instead, and sends nothing.
TEST_F(ReconcilerTest, AReconcileBeforeTheCachesShowItsWritesWaitsForThem) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  json created_service, created_slice;
  EXPECT_CALL(api, create(kServices, _)).WillOnce([&](const std::string&, const json& body) {
    created_service = with_server_fields(body, "svc-uid");
    return created_service;
  });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce([&](const std::string&, const json& body) {
    created_slice = with_server_fields(body, "slice-uid");
    return created_slice;
  });
  EXPECT_CALL(events, record(_, EventType::kNormal, _, _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);

  objects.services["web-0"] = created_service;  // the Service's event came, the slice's did not
  const ReconcileOutcome waiting = reconciler.reconcile("ns/web-0");
  EXPECT_EQ(waiting.kind, Kind::kRequeueAfter);
  EXPECT_TRUE(waiting.expected);
  EXPECT_NE(waiting.message.find("EndpointSlice web-0-ipv4"), std::string::npos);

  objects.slices = {created_slice};
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);  // and no request (StrictMock)
}

TEST_F(ReconcilerTest, NothingChangedMeansNoRequestAtAll) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  world_matches(*pod);
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, NothingChangedWithLegacyEndpointsEither) {
  plan::ReconcileOptions options;
  options.legacy_endpoints = true;
  options.publish_not_ready = false;
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  world_matches(*pod, options);
  objects.endpoints_by_name["web-0"] =
      with_server_fields(plan::desired_endpoints(*pod, {"ns", "web-0", "svc-uid"}, options), "ep");
  EXPECT_EQ(make(options).reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AnIpChangeUpdatesTheSliceOnly) {
  auto pod = make_pod("web-0");
  world_matches(*pod);
  plan::PodInfo moved = *pod;
  moved.pod_ips = {"10.0.0.2"};
  pods.pods = {std::make_shared<const plan::PodInfo>(moved)};
  EXPECT_CALL(api, patch(kSlices + "/web-0-ipv4", kube::PatchType::kMerge, _, _))
      .WillOnce(
          [](const std::string&, kube::PatchType, const json& body, const kube::PatchOptions&) {
            EXPECT_EQ(body["metadata"]["resourceVersion"], "42");
            EXPECT_EQ(body["endpoints"][0]["addresses"][0], "10.0.0.2");
            return json::object();
          });
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kEndpointSlice, metrics::WriteAction::kUpdate));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, ARejectedNameIsAReportedSkipWithoutRetry) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(422, kube::StatusReason::kInvalid)));
  EXPECT_CALL(events,
              record(_, EventType::kWarning, std::string_view(plan::kReasonServiceRejected), _, _));
  EXPECT_CALL(metrics, set_pods_skipped(metrics::SkipReason::kInvalidName, 1u));
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kSuccess, _));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AnInvalidHostnameIsSkippedWithoutAnyRequest) {
  auto pod = make_pod("1-web");
  pods.pods = {pod};
  EXPECT_CALL(events,
              record(_, EventType::kWarning, std::string_view(plan::kReasonInvalidHostname), _, _))
      .Times(2);
  EXPECT_CALL(metrics, set_pods_skipped(metrics::SkipReason::kInvalidName, 1u)).Times(1);
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/1-web").kind, Kind::kDone);
  EXPECT_EQ(reconciler.reconcile("ns/1-web").kind, Kind::kDone);  // the recorder dedupes
}

TEST_F(ReconcilerTest, AConflictOnUpdateRequeues) {
  auto pod = make_pod("web-0", "new-uid");
  world_matches(*make_pod("web-0", "old-uid"));
  pods.pods = {pod};
  EXPECT_CALL(api, patch(kServicePath, kube::PatchType::kMerge, _, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kConflict)));
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kRequeue, _));
  const ReconcileOutcome outcome = make().reconcile("ns/web-0");
  EXPECT_EQ(outcome.kind, Kind::kRequeueAfter);
  EXPECT_GT(outcome.delay, 0ms);
}

TEST_F(ReconcilerTest, TheOwnerReferenceMovesToTheRecreatedPod) {
  auto pod = make_pod("web-0", "new-uid");
  world_matches(*make_pod("web-0", "old-uid"));
  pods.pods = {pod};
  EXPECT_CALL(api, patch(kServicePath, kube::PatchType::kMerge, _, _))
      .WillOnce(
          [](const std::string&, kube::PatchType, const json& body, const kube::PatchOptions&) {
            EXPECT_EQ(body["metadata"]["ownerReferences"][0]["uid"], "new-uid");
            return json::object();
          });
  // The slice's target moves to the new pod as well.
  EXPECT_CALL(api, patch(kSlices + "/web-0-ipv4", kube::PatchType::kMerge, _, _))
      .WillOnce(Return(json::object()));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kUpdate)).Times(2);
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AForeignServiceIsLeftExactlyAsItWas) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  const json foreign = json::parse(R"({"metadata": {"name": "web-0", "namespace": "ns",
      "uid": "theirs"}, "spec": {"clusterIP": "10.96.0.1", "selector": {"a": "b"}}})");
  // The caches hold only the operator's Services: the create finds the name taken, then looks.
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kAlreadyExists)));
  EXPECT_CALL(api, get(kServicePath)).Times(2).WillRepeatedly(Return(foreign));
  EXPECT_CALL(events,
              record(_, EventType::kWarning, std::string_view(plan::kReasonServiceConflict), _, _))
      .Times(2);
  EXPECT_CALL(metrics, set_pods_skipped(metrics::SkipReason::kForeignService, 1u));
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);
  // The next pass only looks: no create is sent at a name known to be taken.
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, ANameNoLongerTakenIsCreated) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  const json foreign = json::parse(R"({"metadata": {"name": "web-0", "namespace": "ns",
      "uid": "theirs"}, "spec": {"clusterIP": "10.96.0.1", "selector": {"a": "b"}}})");
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kAlreadyExists)))
      .WillOnce([](const std::string&, const json& body) { return with_server_fields(body, "s"); });
  EXPECT_CALL(api, get(kServicePath))
      .WillOnce(Return(foreign))
      .WillOnce(Throw(api_error(404, kube::StatusReason::kNotFound)));
  EXPECT_CALL(api, create(kSlices, _)).WillOnce(ReturnArg<1>());
  EXPECT_CALL(events, record(_, EventType::kWarning, _, _, _));
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kDone);  // they deleted theirs
}

// The name is taken by the operator's own Service, which the cache does not show yet: the read
// Service is compared (it matches, so nothing is written to it) and its uid owns the new slice.
TEST_F(ReconcilerTest, OwnServiceBehindTheCacheIsComparedAndItsUidOwnsTheSlices) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  world_matches(*pod);
  const json own = objects.services["web-0"];
  objects.services.clear();
  objects.slices.clear();
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kAlreadyExists)));
  EXPECT_CALL(api, get(kServicePath)).WillOnce(Return(own));
  EXPECT_CALL(api, create(kSlices, _)).WillOnce([](const std::string&, const json& body) {
    EXPECT_EQ(body["metadata"]["ownerReferences"][0]["uid"], "svc-uid");
    return body;
  });
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kEndpointSlice, metrics::WriteAction::kCreate));
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kSuccess, _));
  EXPECT_CALL(metrics, set_pods_managed(1u));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, TheOriginalOperatorsServiceOutsideTheCacheIsAdopted) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kAlreadyExists)));
  EXPECT_CALL(api, get(kServicePath)).WillOnce(Return(json::parse(R"({"metadata": {"name":
      "web-0", "namespace": "ns", "uid": "legacy", "resourceVersion": "3"},
      "spec": {"clusterIP": "None"}})")));
  EXPECT_CALL(api, patch(kServicePath, kube::PatchType::kMerge, _, _))
      .WillOnce(Return(json::object()));
  EXPECT_CALL(api, get(kEndpointsPath))
      .WillOnce(Throw(api_error(404, kube::StatusReason::kNotFound)));
  EXPECT_CALL(api, create(kSlices, _)).WillOnce(ReturnArg<1>());
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceAdopted), _, _));
  EXPECT_CALL(metrics, object_written(_, _)).Times(2);
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, NoPodMeansTheServiceAndSlicesGo) {
  world_matches(*make_pod("web-0"));
  EXPECT_CALL(api, remove(kServicePath, Field(&kube::DeleteOptions::precondition_uid, "svc-uid")));
  EXPECT_CALL(api, remove(kSlices + "/web-0-ipv4",
                          Field(&kube::DeleteOptions::precondition_uid, "slice-uid")))
      .WillOnce(Throw(api_error(404, kube::StatusReason::kNotFound)));  // the collector was first
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kService, metrics::WriteAction::kDelete));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AnUnannotatedPodKeepsNothingAndIsNotTouched) {
  world_matches(*make_pod("web-0"));
  plan::PodInfo plain = *make_pod("web-0");
  plain.wants_service = false;
  pods.pods = {std::make_shared<const plan::PodInfo>(plain)};
  EXPECT_CALL(api, remove(kServicePath, _));
  EXPECT_CALL(api, remove(kSlices + "/web-0-ipv4", _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kDelete)).Times(2);
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, TheOriginalOperatorsServiceIsAdoptedAndItsEndpointsDeleted) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  objects.services["web-0"] = json::parse(R"({"metadata": {"name": "web-0", "namespace": "ns",
      "uid": "legacy", "resourceVersion": "3"}, "spec": {"clusterIP": "None"}})");
  EXPECT_CALL(api, patch(kServicePath, kube::PatchType::kMerge, _, _))
      .WillOnce(Return(json::object()));
  EXPECT_CALL(api, get(kEndpointsPath))
      .WillOnce(Return(json::parse(
          R"({"metadata": {"name": "web-0", "namespace": "ns", "uid": "old-ep"}, "subsets": []})")));
  EXPECT_CALL(api, remove(kEndpointsPath, Field(&kube::DeleteOptions::precondition_uid, "old-ep")));
  EXPECT_CALL(api, create(kSlices, _)).WillOnce([](const std::string&, const json& body) {
    EXPECT_EQ(body["metadata"]["ownerReferences"][0]["uid"], "legacy");
    return body;
  });
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceAdopted), _, _));
  EXPECT_CALL(metrics, object_written(_, _)).Times(3);
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, CollisionLosersAreReportedAndTheWinnerServed) {
  plan::PodInfo old_pod = *make_pod("a", "uid-a");
  old_pod.spec_hostname = "web-0";
  plan::PodInfo young = *make_pod("b", "uid-b");
  young.spec_hostname = "web-0";
  young.created += 10s;
  pods.pods = {std::make_shared<const plan::PodInfo>(young),
               std::make_shared<const plan::PodInfo>(old_pod)};
  world_matches(old_pod);
  EXPECT_CALL(events, record(Field(&plan::PodInfo::name, "b"), EventType::kWarning,
                             std::string_view(plan::kReasonHostnameCollision), _, _));
  EXPECT_CALL(metrics, set_pods_skipped(metrics::SkipReason::kCollision, 1u));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AServiceDeletedBehindTheCachesBackIsRecreated) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  world_matches(*pod);
  objects.services.clear();  // the garbage collector deleted it
  EXPECT_CALL(api, create(kServices, _)).WillOnce([](const std::string&, const json& body) {
    return with_server_fields(body, "svc-2");
  });
  EXPECT_CALL(api, patch(kSlices + "/web-0-ipv4", kube::PatchType::kMerge, _, _))
      .WillOnce(
          [](const std::string&, kube::PatchType, const json& body, const kube::PatchOptions&) {
            EXPECT_EQ(body["metadata"]["ownerReferences"][0]["uid"], "svc-2");
            return json::object();
          });
  EXPECT_CALL(events, record(_, EventType::kNormal, _, _, _));
  EXPECT_CALL(metrics, object_written(_, _)).Times(2);
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AlreadyExistsTwiceRequeues) {
  pods.pods = {make_pod("web-0")};
  EXPECT_CALL(api, create(kServices, _))
      .Times(2)
      .WillRepeatedly(Throw(api_error(409, kube::StatusReason::kAlreadyExists)));
  EXPECT_CALL(api, get(kServicePath))
      .WillOnce(Throw(api_error(404, kube::StatusReason::kNotFound)));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kRequeueAfter);
}

TEST_F(ReconcilerTest, ThrottlingHonoursRetryAfter) {
  pods.pods = {make_pod("web-0")};
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(429, kube::StatusReason::kTooManyRequests, 7s)));
  const ReconcileOutcome outcome = make().reconcile("ns/web-0");
  EXPECT_EQ(outcome.kind, Kind::kRequeueAfter);
  EXPECT_EQ(outcome.delay, 7s);
}

TEST_F(ReconcilerTest, ServerAndTransportErrorsAreRetriedWithBackoff) {
  pods.pods = {make_pod("web-0")};
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(500, kube::StatusReason::kInternalError)))
      .WillOnce(Throw(kube::TransportError("connection reset")));
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kError, _)).Times(2);
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kRetry);
  EXPECT_EQ(reconciler.reconcile("ns/web-0").kind, Kind::kRetry);
}

// The leadership gate withholds a write (the lease is lost or its renew is overdue): the reconcile
// says so, distinctly, and counts no error.
TEST_F(ReconcilerTest, AWriteWithheldByTheLeadershipGateIsNotLeadingAndNoError) {
  pods.pods = {make_pod("web-0")};
  EXPECT_CALL(api, create(kServices, _)).WillOnce(Throw(kube::WriteNotAllowed()));
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kError, _)).Times(0);
  EXPECT_CALL(metrics, reconcile_finished(metrics::ReconcileResult::kRequeue, _));
  const ReconcileOutcome outcome = make().reconcile("ns/web-0");
  EXPECT_EQ(outcome.kind, Kind::kNotLeading);
  EXPECT_TRUE(outcome.expected);
  EXPECT_GT(outcome.delay, 0ms);
}

TEST_F(ReconcilerTest, KeysOutsideTheWatchedNamespacesAreIgnored) {
  plan::ReconcileOptions options;
  options.namespaces = {"other"};
  world_matches(*make_pod("web-0"));  // would be deleted if the key were looked at
  EXPECT_EQ(make(options).reconcile("ns/web-0").kind, Kind::kDone);
  EXPECT_EQ(make().reconcile("malformed").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AnOwnedServiceThatLostHeadlessnessIsRecreated) {
  auto pod = make_pod("web-0");
  pods.pods = {pod};
  world_matches(*pod);
  objects.services["web-0"]["spec"]["clusterIP"] = "10.96.0.9";
  EXPECT_CALL(api, remove(kServicePath, Field(&kube::DeleteOptions::precondition_uid, "svc-uid")));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kService, metrics::WriteAction::kDelete));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kRequeueAfter);
}

// --- subdomain records ---------------------------------------------------------------------

std::shared_ptr<const plan::PodInfo> make_member(std::string name, std::string ip) {
  return test::PodBuilder(name)
      .uid("uid-" + name)
      .created(std::chrono::sys_days(std::chrono::year(2024) / 1 / 1))
      .subdomain("s")
      .asking()
      .running({std::move(ip)}, "node-a")
      .ready()
      .shared();
}

TEST_F(ReconcilerTest, TheSubdomainKeyCreatesItsServiceAndOneSliceForAllMembers) {
  pods.pods = {make_member("a", "10.0.0.1"), make_member("b", "10.0.0.2")};
  EXPECT_CALL(api, create(kServices, plan::desired_subdomain_service("ns", "s")))
      .WillOnce(
          [](const std::string&, const json& body) { return with_server_fields(body, "s-uid"); });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce([](const std::string&, const json& body) {
    EXPECT_EQ(body["metadata"]["name"], "s-ipv4-0");
    EXPECT_EQ(body["metadata"]["ownerReferences"][0]["uid"], "s-uid");
    EXPECT_EQ(body["endpoints"].size(), 2u);
    EXPECT_EQ(body["endpoints"][1]["hostname"], "b");
    return body;
  });
  EXPECT_CALL(events, record(Field(&plan::PodInfo::name, "a"), EventType::kNormal,
                             std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  // The subdomain is no pod: its members count through their own keys.
  EXPECT_CALL(metrics, set_pods_managed(_)).Times(0);
  EXPECT_EQ(make().reconcile("ns/s").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AForeignSubdomainServiceIsLeftAloneAndEveryMemberWarned) {
  pods.pods = {make_member("a", "10.0.0.1"), make_member("b", "10.0.0.2")};
  const json foreign = json::parse(R"({"metadata": {"name": "s", "namespace": "ns",
      "uid": "theirs"}, "spec": {"clusterIP": "None", "selector": {"app": "db"}}})");
  EXPECT_CALL(api, create(kServices, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kAlreadyExists)));
  EXPECT_CALL(api, get("/api/v1/namespaces/ns/services/s")).WillOnce(Return(foreign));
  EXPECT_CALL(events,
              record(_, EventType::kWarning, std::string_view(plan::kReasonServiceConflict), _, _))
      .Times(2);
  EXPECT_CALL(metrics, set_pods_skipped(metrics::SkipReason::kForeignService, 2u));
  EXPECT_EQ(make().reconcile("ns/s").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, TheLastMemberGoneTakesTheSubdomainServiceAndItsSlices) {
  json service = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  objects.services["s"] = service;
  json slice = plan::plan_subdomain_slices({make_member("a", "10.0.0.1")}, {"ns", "s", "s-uid"}, {},
                                           nullptr, {})[0]
                   .body;
  objects.slices = {with_server_fields(slice, "slice-uid")};
  EXPECT_CALL(api, remove("/api/v1/namespaces/ns/services/s",
                          Field(&kube::DeleteOptions::precondition_uid, "s-uid")));
  EXPECT_CALL(api, remove(kSlices + "/s-ipv4-0",
                          Field(&kube::DeleteOptions::precondition_uid, "slice-uid")));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kDelete)).Times(2);
  EXPECT_EQ(make().reconcile("ns/s").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, AMembersOwnNameIsAnAliasWithoutSlices) {
  auto pod = make_member("web-0", "10.0.0.1");
  pods.pods = {pod};
  // The subdomain's Service is not made yet: it will be the operator's.
  EXPECT_CALL(api, get("/api/v1/namespaces/ns/services/s"))
      .WillOnce(Throw(api_error(404, kube::StatusReason::kNotFound)));
  EXPECT_CALL(api, create(kServices, _)).WillOnce([](const std::string&, const json& body) {
    EXPECT_EQ(body["spec"]["type"], "ExternalName");
    EXPECT_EQ(body["spec"]["externalName"], "web-0.s.ns.svc.cluster.local");
    return with_server_fields(body, "svc-uid");
  });
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kService, metrics::WriteAction::kCreate));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);  // and no slice (StrictMock)
}

TEST_F(ReconcilerTest, AMemberOfASubdomainServedByTheOperatorNeedsNoRead) {
  auto pod = make_member("web-0", "10.0.0.1");
  pods.pods = {pod};
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  EXPECT_CALL(api, create(kServices, plan::desired_service(*pod, "web-0", {})))
      .WillOnce(
          [](const std::string&, const json& body) { return with_server_fields(body, "svc-uid"); });
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kService, metrics::WriteAction::kCreate));
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);  // no GET of s (StrictMock)
}

// The caches hold only the operator's slices, so a name the packing picks can be someone else's:
// that slice is read once, never written, and the next pass packs the members under another name.
TEST_F(ReconcilerTest, ASliceOfSomeoneElsesUnderTheChosenNameIsPackedAround) {
  pods.pods = {make_member("a", "10.0.0.1"), make_member("b", "10.0.0.2")};
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  const json foreign = json::parse(R"({"metadata": {"name": "s-ipv4-0", "namespace": "ns",
      "uid": "theirs", "labels": {"kubernetes.io/service-name": "other"}},
      "addressType": "IPv4", "endpoints": []})");
  EXPECT_CALL(api, create(kSlices, _))
      .WillOnce(Throw(api_error(409, kube::StatusReason::kAlreadyExists)))
      .WillOnce([](const std::string&, const json& body) {
        EXPECT_EQ(body["metadata"]["name"], "s-ipv4-1");
        EXPECT_EQ(body["endpoints"].size(), 2u);
        return body;
      });
  EXPECT_CALL(api, get(kSlices + "/s-ipv4-0")).WillOnce(Return(foreign));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kEndpointSlice, metrics::WriteAction::kCreate));
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kRequeueAfter);
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kDone);
}

// The operator's own slice behind the caches answers AlreadyExists too: nothing is remembered, and
// the next pass (its caches caught up) plans with it.
TEST_F(ReconcilerTest, TheOperatorsOwnSliceBehindTheCachesIsNotPackedAround) {
  pods.pods = {make_member("a", "10.0.0.1")};
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  const json own = plan::plan_subdomain_slices(pods.pods, {"ns", "s", "s-uid"}, {}, nullptr,
                                               plan::ReconcileOptions{})
                       .front()
                       .body;
  EXPECT_CALL(api, create(kSlices, _))
      .Times(2)
      .WillRepeatedly(Throw(api_error(409, kube::StatusReason::kAlreadyExists)));
  EXPECT_CALL(api, get(kSlices + "/s-ipv4-0")).Times(2).WillRepeatedly(Return(own));
  Reconciler reconciler = make();
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kRequeueAfter);
  // Still s-ipv4-0: the name was not taken by someone else.
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kRequeueAfter);
}

TEST_F(ReconcilerTest, AMemberWhoseSubdomainIsSomeoneElsesKeepsAHeadlessService) {
  auto pod = make_member("web-0", "10.0.0.1");
  pods.pods = {pod};
  const json foreign = json::parse(R"({"metadata": {"name": "s", "namespace": "ns",
      "uid": "theirs"}, "spec": {"clusterIP": "None", "selector": {"app": "db"}}})");
  EXPECT_CALL(api, get("/api/v1/namespaces/ns/services/s")).WillOnce(Return(foreign));
  plan::ReconcileOptions off;
  off.subdomain_records = false;
  EXPECT_CALL(api, create(kServices, plan::desired_service(*pod, "web-0", off)))
      .WillOnce(
          [](const std::string&, const json& body) { return with_server_fields(body, "svc-uid"); });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce(ReturnArg<1>());
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  EXPECT_EQ(make().reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, WithSubdomainRecordsOffAMemberIsServedAsBefore) {
  auto pod = make_member("web-0", "10.0.0.1");
  pods.pods = {pod};
  plan::ReconcileOptions off;
  off.subdomain_records = false;
  world_matches(*pod, off);
  EXPECT_EQ(make(off).reconcile("ns/web-0").kind, Kind::kDone);
  EXPECT_EQ(make(off).reconcile("ns/s").kind, Kind::kDone);  // nothing to do, no request
}

// --- subdomain records without per-pod aliases ------------------------------------------------

plan::ReconcileOptions without_aliases() {
  plan::ReconcileOptions options;
  options.subdomain_hostname_aliases = false;
  return options;
}

TEST_F(ReconcilerTest, WithoutAliasesAMemberOfTheOperatorsSubdomainGetsNoServiceOfItsOwn) {
  pods.pods = {make_member("web-0", "10.0.0.1")};
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  EXPECT_CALL(metrics, set_pods_managed(_)).Times(0);
  // No request: no create of an alias, so no look at a Service of someone else's that may hold
  // the name either, and no Warning about it.
  EXPECT_EQ(make(without_aliases()).reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, WithoutAliasesAnAliasLeftByAnEarlierRunIsDeleted) {
  auto pod = make_member("web-0", "10.0.0.1");
  pods.pods = {pod};
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  world_matches(*pod);     // the alias, made with the default
  objects.slices.clear();  // an alias has none
  ASSERT_EQ(objects.services["web-0"]["spec"]["type"], "ExternalName");
  EXPECT_CALL(api, remove(kServicePath, Field(&kube::DeleteOptions::precondition_uid, "svc-uid")));
  EXPECT_CALL(metrics,
              object_written(metrics::ObjectKind::kService, metrics::WriteAction::kDelete));
  EXPECT_EQ(make(without_aliases()).reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, WithoutAliasesAMemberOfAForeignSubdomainKeepsItsHeadlessService) {
  auto pod = make_member("web-0", "10.0.0.1");
  pods.pods = {pod};
  const json foreign = json::parse(R"({"metadata": {"name": "s", "namespace": "ns",
      "uid": "theirs"}, "spec": {"clusterIP": "None", "selector": {"app": "db"}}})");
  EXPECT_CALL(api, get("/api/v1/namespaces/ns/services/s")).WillRepeatedly(Return(foreign));
  plan::ReconcileOptions off;
  off.subdomain_records = false;
  EXPECT_CALL(api, create(kServices, plan::desired_service(*pod, "web-0", off)))
      .WillOnce(
          [](const std::string&, const json& body) { return with_server_fields(body, "svc-uid"); });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce(ReturnArg<1>());
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  EXPECT_CALL(metrics, set_pods_managed(1u));
  EXPECT_EQ(make(without_aliases()).reconcile("ns/web-0").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, WithoutAliasesTheHostnameIsFreeForAPodThatWantsIt) {
  auto member = make_member("web-0", "10.0.0.1");  // older
  auto plain = test::PodBuilder("web-0")
                   .uid("plain")
                   .created(std::chrono::sys_days(std::chrono::year(2025) / 1 / 1))
                   .asking()
                   .running({"10.0.0.9"}, "node-a")
                   .shared();
  pods.pods = {member, plain};
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  EXPECT_CALL(api, create(kServices, _)).WillOnce([](const std::string&, const json& body) {
    EXPECT_EQ(body["metadata"]["ownerReferences"][0]["uid"], "plain");
    EXPECT_EQ(body["spec"]["clusterIP"], "None");
    return with_server_fields(body, "svc-uid");
  });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce(ReturnArg<1>());
  EXPECT_CALL(events, record(Field(&plan::PodInfo::uid, "plain"), EventType::kNormal,
                             std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  EXPECT_EQ(make(without_aliases()).reconcile("ns/web-0").kind, Kind::kDone);  // no collision
}

TEST_F(ReconcilerTest, WithoutAliasesTheSubdomainsKeyCountsItsMembersAsManaged) {
  pods.pods = {make_member("a", "10.0.0.1"), make_member("b", "10.0.0.2")};
  auto reconciler = make(without_aliases());
  json slice;
  EXPECT_CALL(api, create(kServices, plan::desired_subdomain_service("ns", "s")))
      .WillOnce(
          [](const std::string&, const json& body) { return with_server_fields(body, "s-uid"); });
  EXPECT_CALL(api, create(kSlices, _)).WillOnce([&slice](const std::string&, const json& body) {
    slice = with_server_fields(body, "slice-uid");
    return slice;
  });
  EXPECT_CALL(events,
              record(_, EventType::kNormal, std::string_view(plan::kReasonServiceCreated), _, _));
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kCreate)).Times(2);
  EXPECT_CALL(metrics, set_pods_managed(2u));
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kDone);
  objects.services["s"] = with_server_fields(plan::desired_subdomain_service("ns", "s"), "s-uid");
  objects.slices = {slice};

  // The members' own keys add nothing: their records are the subdomain's.
  EXPECT_CALL(metrics, set_pods_managed(_)).Times(0);
  EXPECT_EQ(reconciler.reconcile("ns/a").kind, Kind::kDone);
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kDone) << "nothing changed";

  pods.pods.clear();
  EXPECT_CALL(api, remove(_, _)).Times(2);  // the Service and its slice
  EXPECT_CALL(metrics, object_written(_, metrics::WriteAction::kDelete)).Times(2);
  EXPECT_CALL(metrics, set_pods_managed(0u));
  EXPECT_EQ(reconciler.reconcile("ns/s").kind, Kind::kDone);
}

TEST_F(ReconcilerTest, LiveObjectSourceReadsFromTheApi) {
  LiveObjectSource live(api);
  EXPECT_CALL(api, get(kServicePath))
      .WillOnce(Throw(api_error(404, kube::StatusReason::kNotFound)));
  EXPECT_EQ(live.service("ns", "web-0"), nullptr);
  kube::ListPage first;
  first.items = json::array({{{"n", 1}}});
  first.continue_token = "next";
  kube::ListPage second;
  second.items = json::array({{{"n", 2}}});
  EXPECT_CALL(api, list(kSlices, Field(&kube::ListOptions::label_selector,
                                       "kubernetes.io/service-name=web-0")))
      .WillOnce(Return(first))
      .WillOnce(Return(second));
  EXPECT_EQ(live.endpoint_slices("ns", "web-0").size(), 2u);
  EXPECT_CALL(api, get(kEndpointsPath)).WillOnce(Return(json::object()));
  EXPECT_NE(live.endpoints("ns", "web-0"), nullptr);
}

}  // namespace
}  // namespace hso::reconciler
