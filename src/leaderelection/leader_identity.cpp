#include "hso/leaderelection/leader_identity.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>

#include "hso/util/random.hpp"

namespace hso::leaderelection {

std::string make_leader_identity() {
  std::array<char, 256> host{};
  std::string hostname = "unknown";
  if (gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') {
    hostname = host.data();
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i) {
    suffix += kAlphabet[random_below(sizeof kAlphabet - 1)];
  }
  return hostname + "_" + suffix;
}

std::string default_lease_namespace() {
  if (const char* pod_namespace = std::getenv("POD_NAMESPACE");
      pod_namespace != nullptr && *pod_namespace != '\0') {
    return pod_namespace;
  }
  std::ifstream file("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string name;
  std::getline(file, name);
  return name;
}

}  // namespace hso::leaderelection
