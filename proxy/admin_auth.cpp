#include "proxy/admin_auth.hpp"

#include <openssl/crypto.h>

#include <boost/beast/core/string.hpp>

#include "policy/token.hpp"

namespace almagate {

bool admin_token_matches(std::string_view authorization, std::string_view expected_sha256_hex) {
  constexpr std::string_view scheme = "bearer ";
  if (expected_sha256_hex.size() != 64) return false;
  if (authorization.size() <= scheme.size() ||
      !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme))
    return false;
  auto token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return false;
  // Hashing first makes the compared lengths fixed; CRYPTO_memcmp does not stop early.
  std::string presented = sha256_hex(token);
  return CRYPTO_memcmp(presented.data(), expected_sha256_hex.data(), presented.size()) == 0;
}

}  // namespace almagate
