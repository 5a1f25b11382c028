#pragma once

#include <string>

namespace hso::leaderelection {

// "<hostname>_<random suffix>": unique per process, so that a restarted pod with the same name
// never mistakes the previous process's lease for its own.
std::string make_leader_identity();

// Where the Lease lives when --leader-election-namespace is empty: POD_NAMESPACE, then the
// service-account namespace file; empty if neither is available.
std::string default_lease_namespace();

}  // namespace hso::leaderelection
