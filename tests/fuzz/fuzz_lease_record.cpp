// A coordination.k8s.io/v1 Lease read for leader election: whoever else wrote it.
#include <charconv>
#include <string>
#include <system_error>

#include "fuzz_support.hpp"
#include "hso/leaderelection/leader_election_record.hpp"

namespace {

// The value the record must hold for an integer field: the number when its decimal form reads
// back into an int, else 0 (as if absent). Said differently from the reader, on purpose.
int expected_int(const nlohmann::json& spec, const char* key) {
  const auto it = spec.find(key);
  if (it == spec.end() || !it->is_number_integer())
    return 0;
  const std::string text = it->dump();
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto lease = nlohmann::json::parse(hso::fuzz::as_text(data, size), nullptr, false);
  if (!lease.is_object())
    return 0;
  const auto record = hso::leaderelection::record_from_lease(lease);
  if (const auto spec = lease.find("spec"); spec != lease.end() && spec->is_object()) {
    FUZZ_CHECK(record.lease_duration_seconds == expected_int(*spec, "leaseDurationSeconds"));
    FUZZ_CHECK(record.lease_transitions == expected_int(*spec, "leaseTransitions"));
  }
  // What the elector writes back reads back the same, and leaves metadata alone.
  nlohmann::json written = lease;
  hso::leaderelection::write_record_to_lease(record, written);
  FUZZ_CHECK(hso::leaderelection::record_from_lease(written) == record);
  FUZZ_CHECK(written.value("metadata", nlohmann::json()) ==
             lease.value("metadata", nlohmann::json()));
  return 0;
}
