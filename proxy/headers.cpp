#include "proxy/headers.hpp"

#include <string>
#include <vector>

namespace almagate {

namespace {
constexpr std::string_view method_override_fields[] = {"X-HTTP-Method-Override", "X-HTTP-Method",
                                                        "X-Method-Override"};
}

void strip_hop_by_hop(http::fields& fields) {
  // Fields named in Connection are hop-by-hop too; collect before erasing Connection.
  std::vector<std::string> named;
  for (auto it = fields.find(http::field::connection); it != fields.end() &&
                                                      it->name() == http::field::connection;
       ++it) {
    for (auto token : http::token_list{it->value()}) named.emplace_back(token);
  }
  for (const auto& name : named) {
    if (beast::iequals(name, "close") || beast::iequals(name, "keep-alive")) continue;
    // Never let Connection remove the framing of the body.
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding"))
      continue;
    fields.erase(name);
  }
  // One pass over the fields rather than a lookup per name (this runs twice on every call).
  for (auto it = fields.begin(); it != fields.end();) {
    switch (it->name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::proxy_authorization:
      case http::field::proxy_authenticate:
      case http::field::te:
      case http::field::trailer:
      case http::field::upgrade:
        it = fields.erase(it);
        break;
      default:
        ++it;
    }
  }
}

bool has_method_override(const http::fields& fields) {
  for (auto name : method_override_fields)
    if (fields.find(name) != fields.end()) return true;
  return false;
}

void strip_client_credentials(http::fields& fields) {
  fields.erase(http::field::authorization);
  for (auto name : method_override_fields) fields.erase(name);
}

}  // namespace almagate
