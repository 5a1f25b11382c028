#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hso/controller/caches.hpp"
#include "hso/informer/store.hpp"
#include "hso/reconciler/sources.hpp"
#include "hso/runtime/key_reconciler.hpp"
#include "hso/util/label_selector.hpp"
#include "hso/workqueue/work_queue.hpp"

// --namespace-selector: which namespaces' pods get Services, and the work a namespace that
// starts or stops matching makes. Only built when the selector is set; without it nothing here
// runs and the operator reads and writes exactly what it did before.
namespace hso::controller {

// What the Namespace store keeps of a Namespace.
struct NamespaceLabels {
  std::string name;
  Labels labels;

  bool operator==(const NamespaceLabels&) const = default;
};

using NamespaceStore = informer::Store<NamespaceLabels>;

// nullopt for anything without a name; labels that are not strings are left out.
std::optional<NamespaceLabels> project_namespace(const nlohmann::json& object);

// The namespaces that match the selector, kept in a store that a reflector over all Namespaces
// fills: a namespace that stops matching leaves the store (reported deleted), one that starts
// matching enters it (reported added), so the store's add and delete handlers are exactly the
// "starts" and "stops" of selection.
class NamespaceSelection {
 public:
  explicit NamespaceSelection(LabelSelector selector);

  NamespaceSelection(const NamespaceSelection&) = delete;
  NamespaceSelection& operator=(const NamespaceSelection&) = delete;

  // The reflector's sink.
  NamespaceStore& store() { return store_; }
  // The namespace exists and matches. A namespace not (yet) seen is not selected.
  bool selected(std::string_view namespace_name) const;

  // Connects the handlers by which a namespace that starts or stops matching (created, labelled,
  // unlabelled, deleted) adds every key of that namespace that `scopes` know to `queue`: the
  // asking pods' keys, and the keys of the owned objects there. Each scope must have the
  // namespace indexes (add_namespace_indexes). Call before the store is fed.
  void enqueue_changes(const std::vector<std::unique_ptr<ScopeCaches>>& scopes,
                       workqueue::WorkQueue& queue);

 private:
  const LabelSelector selector_;
  NamespaceStore store_;
};

// Index of pods and owned objects by their namespace, for a namespace's keys.
inline constexpr std::string_view kByNamespaceIndex = "namespace";

// Adds kByNamespaceIndex to the scope's stores. Call before the stores are fed.
void add_namespace_indexes(ScopeCaches& scope);

// Hands `add` every key of `namespace_name` the scope's caches know: those of the pods that ask,
// of the owned Services, EndpointSlices and Endpoints.
void list_namespace_keys(const ScopeCaches& scope, std::string_view namespace_name,
                         const runtime::KeySink& add);

// The pods of the reconciler's reads, with none in a namespace that is not selected: the
// reconciler then treats the key as one no pod asks for, and deletes only what it owns there.
class SelectedNamespacePods final : public reconciler::PodSource {
 public:
  SelectedNamespacePods(reconciler::PodSource& pods, const NamespaceSelection& selection)
      : pods_(pods), selection_(selection) {}

  std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> pods_for(
      const std::string& namespace_name, const std::string& hostname) override;
  std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> pods_in_subdomain(
      const std::string& namespace_name, const std::string& subdomain) override;

 private:
  reconciler::PodSource& pods_;
  const NamespaceSelection& selection_;
};

}  // namespace hso::controller
