#pragma once

#include <httplib.h>

#include "hso/http/health_checks.hpp"
#include "hso/http/scrape_authorizer.hpp"
#include "hso/metrics/metrics_registry.hpp"

namespace hso::http {

// GET /healthz, /healthz/<check>, /readyz, /readyz/<check> (with ?verbose and ?exclude=).
// The check sets must outlive the server.
void register_health_routes(httplib::Server& server, const HealthChecks& healthz,
                            const HealthChecks& readyz);

// The answer of GET /healthz or /readyz for the request's query parameters (?verbose,
// ?exclude=<check>, repeatable), apart from the server so that it can be tested without one.
HealthResponse answer_check_set(const HealthChecks& checks, const httplib::Params& query);

// GET /metrics in the prometheus text format. With an authorizer, every scrape must carry a
// bearer token that the API server authenticates (TokenReview) and authorises for get on the
// /metrics non-resource URL (SubjectAccessReview): 401 / 403 otherwise.
void register_metrics_route(httplib::Server& server, const metrics::MetricsRegistry& registry,
                            ScrapeAuthorizer* authorizer = nullptr);

}  // namespace hso::http
