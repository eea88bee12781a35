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
  fields.erase(http::field::connection);
  fields.erase(http::field::keep_alive);
  fields.erase(http::field::proxy_connection);
  fields.erase(http::field::proxy_authorization);
  fields.erase(http::field::proxy_authenticate);
  fields.erase(http::field::te);
  fields.erase(http::field::trailer);
  fields.erase(http::field::upgrade);
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
