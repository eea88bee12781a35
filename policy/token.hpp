#pragma once
// Client tokens: where a script puts them, how they are stored (SHA-256 only), how new ones are made.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace almagate {

// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

// sha256_hex of a client token, remembered per thread: scripts send the same few tokens on
// every call, and a digest costs more than the rest of the call's checks. At most 1,024
// tokens per thread are remembered (the memory is emptied when full, so a flood of made-up
// tokens cannot grow it). The view is good until the thread's next call.
std::string_view token_sha256_hex(std::string_view token);

// A new random token ("agt_" + 43 base64url characters, 256 bits).
std::string new_token();

// The token from one Authorization header value ("apikey X" or "Bearer X", scheme
// case-insensitive). nullopt for any other scheme or an empty credential.
std::optional<std::string_view> token_from_authorization(std::string_view value);

enum class token_status { none, one, conflicting };

// Collects the tokens a call carries; the same token sent twice is still one.
class token_collector {
 public:
  void add(std::string_view token);
  token_status status() const { return status_; }
  std::string_view token() const { return token_; }

 private:
  token_status status_ = token_status::none;
  std::string_view token_;
};

}  // namespace almagate
