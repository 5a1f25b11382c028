#include "hso/app/permission_monitor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hso::app {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class CountingObserver final : public kube::RequestObserver {
 public:
  void on_request(std::string_view, std::string_view, int, std::chrono::duration<double>) override {
    ++calls;
  }
  int calls = 0;
};

TEST(PermissionMonitorTest, ForbiddenUntilTheSameVerbAndResourceSucceeds) {
  CountingObserver metrics;
  PermissionMonitor monitor(metrics);
  monitor.on_request("create", "endpointslices", 403, {});
  monitor.on_request("create", "services", 201, {});
  EXPECT_THAT(monitor.denied(), ElementsAre("create endpointslices"));
  monitor.on_request("get", "endpointslices", 200, {});
  EXPECT_THAT(monitor.denied(), ElementsAre("create endpointslices"));
  monitor.on_request("create", "endpointslices", 0, {});  // no answer: no news
  EXPECT_THAT(monitor.denied(), ElementsAre("create endpointslices"));
  monitor.on_request("create", "endpointslices", 201, {});
  EXPECT_THAT(monitor.denied(), IsEmpty());
  EXPECT_EQ(metrics.calls, 5);
}

TEST(PermissionMonitorTest, OtherErrorsAreNotPermissions) {
  CountingObserver metrics;
  PermissionMonitor monitor(metrics);
  monitor.on_request("update", "services", 409, {});
  monitor.on_request("update", "services", 500, {});
  EXPECT_THAT(monitor.denied(), IsEmpty());
}

}  // namespace
}  // namespace hso::app
