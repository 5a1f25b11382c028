#include "hso/http/probe_routes.hpp"

#include <set>
#include <string>

namespace hso::http {
namespace {

void respond(httplib::Response& response, const HealthResponse& health) {
  response.status = health.status;
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_content(health.body, "text/plain; charset=utf-8");
}

void register_check_set(httplib::Server& server, const HealthChecks& checks) {
  const std::string base = "/" + checks.endpoint_name();
  server.Get(base, [&checks](const httplib::Request& request, httplib::Response& response) {
    respond(response, answer_check_set(checks, request.params));
  });
  server.Get(base + "/([^/]+)",
             [&checks](const httplib::Request& request, httplib::Response& response) {
               respond(response, checks.check_one(request.matches[1].str()));
             });
}

}  // namespace

HealthResponse answer_check_set(const HealthChecks& checks, const httplib::Params& query) {
  std::set<std::string, std::less<>> excluded;
  const auto [first, last] = query.equal_range("exclude");
  for (auto it = first; it != last; ++it) {
    excluded.insert(it->second);
  }
  return checks.check_all(query.find("verbose") != query.end(), excluded);
}

void register_health_routes(httplib::Server& server, const HealthChecks& healthz,
                            const HealthChecks& readyz) {
  register_check_set(server, healthz);
  register_check_set(server, readyz);
}

void register_metrics_route(httplib::Server& server, const metrics::MetricsRegistry& registry,
                            ScrapeAuthorizer* authorizer) {
  server.Get("/metrics", [&registry, authorizer](const httplib::Request& request,
                                                 httplib::Response& response) {
    if (authorizer != nullptr) {
      switch (authorizer->authorize(request.get_header_value("Authorization"))) {
        case ScrapeDecision::kAllowed:
          break;
        case ScrapeDecision::kUnauthenticated:
          response.status = 401;
          response.set_header("WWW-Authenticate", "Bearer");
          response.set_content("Unauthorized\n", "text/plain; charset=utf-8");
          return;
        case ScrapeDecision::kForbidden:
          response.status = 403;
          response.set_content("Forbidden\n", "text/plain; charset=utf-8");
          return;
        case ScrapeDecision::kUnavailable:
          response.status = 503;
          response.set_content("authorization is unavailable\n", "text/plain; charset=utf-8");
          return;
      }
    }
    response.set_content(registry.serialize(), metrics::kPrometheusContentType);
  });
}

}  // namespace hso::http
