// The query strings of /healthz and /readyz (?verbose, ?exclude=<check>) and the check name of
// /healthz/<check>, as the kubelet, a load balancer or anyone who reaches the port sends them.
// Input: the query string, a newline, the check name.
#include <httplib.h>

#include <set>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "hso/http/health_checks.hpp"
#include "hso/http/probe_routes.hpp"

namespace {

const hso::http::HealthChecks& checks() {
  static const hso::http::HealthChecks* const set = [] {
    auto* made = new hso::http::HealthChecks("readyz");
    made->add("ping", [] { return hso::http::CheckResult(); });
    made->add("informers-synced", [] { return hso::http::CheckResult("not synced"); });
    made->add("leader-election",
              []() -> hso::http::CheckResult { throw std::runtime_error("lease not renewed"); });
    return made;
  }();
  return *set;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = hso::fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  const std::string query(input.substr(0, newline));
  const std::string name(newline == std::string_view::npos ? "" : input.substr(newline + 1));

  httplib::Params params;
  httplib::detail::parse_query_text(query, params);
  const auto all = hso::http::answer_check_set(checks(), params);
  std::multiset<std::string> excluded;
  for (const auto& [key, value] : params) {
    if (key == "exclude")
      excluded.insert(value);
  }
  const bool failing_excluded =
      excluded.count("informers-synced") > 0 && excluded.count("leader-election") > 0;
  FUZZ_CHECK(all.status == (failing_excluded ? 200 : 500));
  if (all.status == 500) {
    FUZZ_CHECK(contains(all.body, "readyz check failed"));
    for (const char* check : {"ping", "informers-synced", "leader-election"})
      FUZZ_CHECK(contains(all.body, check));
  } else if (params.count("verbose") > 0) {
    FUZZ_CHECK(contains(all.body, "readyz check passed"));
  } else {
    FUZZ_CHECK(all.body == "ok");
  }

  const auto one = checks().check_one(name);
  if (name == "ping") {
    FUZZ_CHECK(one.status == 200 && one.body == "ok");
  } else if (name == "informers-synced" || name == "leader-election") {
    FUZZ_CHECK(one.status == 500 && contains(one.body, "internal server error: "));
  } else {
    FUZZ_CHECK(one.status == 404 && contains(one.body, name));
  }
  return 0;
}
