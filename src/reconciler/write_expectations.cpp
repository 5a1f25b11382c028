#include "hso/reconciler/write_expectations.hpp"

#include "hso/util/json_access.hpp"

namespace hso::reconciler {
const char* object_kind_name(metrics::ObjectKind kind) {
  switch (kind) {
    case metrics::ObjectKind::kService:
      return "Service";
    case metrics::ObjectKind::kEndpointSlice:
      return "EndpointSlice";
    case metrics::ObjectKind::kEndpoints:
      return "Endpoints";
    case metrics::ObjectKind::kEvent:
      return "Event";
  }
  return "object";
}

WriteExpectations::WriteExpectations(const Clock& clock, std::chrono::milliseconds patience)
    : clock_(clock), patience_(patience) {}

void WriteExpectations::written(const std::string& key, metrics::ObjectKind kind,
                                const nlohmann::json& written, const std::string& cached_before) {
  const std::string name = metadata_string(written, "name");
  const std::string version = metadata_string(written, "resourceVersion");
  if (name.empty() || version.empty() || version == cached_before)
    return;
  expect(key, {kind, name}, Expectation{false, cached_before, {}, {}});
}

void WriteExpectations::deleted(const std::string& key, metrics::ObjectKind kind,
                                const std::string& name, const std::string& uid) {
  expect(key, {kind, name}, Expectation{true, {}, uid, {}});
}

void WriteExpectations::expect(const std::string& key, ObjectId id, Expectation expectation) {
  expectation.deadline = clock_.now() + patience_;
  MutexLock lock(mutex_);
  expectations_[key][std::move(id)] = std::move(expectation);
}

std::optional<std::string> WriteExpectations::unseen(const std::string& key,
                                                     const CacheLookup& cached) {
  // The lookups read informer stores, which never call back into this class.
  MutexLock lock(mutex_);
  const auto found = expectations_.find(key);
  if (found == expectations_.end())
    return std::nullopt;
  auto& pending = found->second;
  const auto now = clock_.now();
  std::optional<std::string> waiting;
  for (auto it = pending.begin(); it != pending.end();) {
    const auto& [id, expectation] = *it;
    const std::shared_ptr<const nlohmann::json> object = cached(id.first, id.second);
    const bool seen = expectation.gone
                          ? object == nullptr || metadata_string(*object, "uid") != expectation.uid
                          : object != nullptr &&
                                metadata_string(*object, "resourceVersion") != expectation.before;
    if (seen || now >= expectation.deadline) {
      it = pending.erase(it);
      continue;
    }
    if (!waiting)
      waiting = std::string(object_kind_name(id.first)) + " " + id.second;
    ++it;
  }
  if (pending.empty())
    expectations_.erase(found);
  return waiting;
}

std::size_t WriteExpectations::size() const {
  MutexLock lock(mutex_);
  return expectations_.size();
}

}  // namespace hso::reconciler
