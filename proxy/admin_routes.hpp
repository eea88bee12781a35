#pragma once
// The admin endpoint's routes: one request in, one response out. No socket here.
//
//   GET    /healthz                    200 {"status":"ok"}            (no token needed)
//   GET    /dashboard[/app.css|/app.js] the usage dashboard's page (no token needed: it holds
//                                      no data and asks for the token to call the API)
//   GET    /readyz                     200 {"status":"ready"} or 503
//   GET    /metrics                    200 text/plain; version=0.0.4
//   GET    /v1/usage?date=&format=     200 JSON (default) or CSV
//   GET    /v1/usage/hours?date=       200 JSON: calls per local hour of each pool's day
//   GET    /v1/clients                 200 JSON
//   PUT    /v1/clients/{id}/quota      {"daily_quota": N} -> 200 JSON quota_change
//   DELETE /v1/clients/{id}/quota      200 JSON quota_change
//   POST   /v1/reload                  200 {"reloaded":true} or 500
// Errors are Alma error bodies in JSON: 400 INVALID_REQUEST, 401 UNAUTHORIZED, 404
// ROUTING_ERROR (no such route) or NOT_FOUND (no such client), 405 INVALID_REQUEST with Allow.

#include "proxy/admin_backend.hpp"
#include "proxy/io.hpp"

namespace almagate {

using admin_request = http::request<http::string_body>;
using admin_response = http::response<http::string_body>;

awaitable<admin_response> handle_admin_request(const admin_request& request,
                                               admin_backend& backend);

}  // namespace almagate
