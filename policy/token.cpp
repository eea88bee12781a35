#include "policy/token.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <unordered_map>

namespace almagate {

namespace {

using hex_digest = std::array<char, 64>;

// The lower-case hex SHA-256 of `text`, into a fixed buffer.
hex_digest sha256_hex_digest(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != 32)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  hex_digest out;
  for (unsigned i = 0; i < 32; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  return out;
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

std::string sha256_hex(std::string_view text) {
  hex_digest digest = sha256_hex_digest(text);
  return std::string(digest.data(), digest.size());
}

std::string_view token_sha256_hex(std::string_view token) {
  using memory = std::unordered_map<std::string, hex_digest, string_hash, std::equal_to<>>;
  thread_local memory seen;
  // The entry of the thread's last token: a script sends the same one call after call.
  thread_local const memory::value_type* last = nullptr;
  if (!last || last->first != token) {
    auto it = seen.find(token);
    if (it == seen.end()) {
      if (seen.size() >= 1024) seen.clear();
      it = seen.emplace(std::string(token), sha256_hex_digest(token)).first;
    }
    last = &*it;
  }
  return {last->second.data(), last->second.size()};
}

std::string new_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no randomness available for a new token");
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "agt_";
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

namespace {
bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<std::string_view> token_from_authorization(std::string_view value) {
  value = trim(value);
  for (std::string_view scheme : {std::string_view{"apikey "}, std::string_view{"bearer "}}) {
    if (iequals_prefix(value, scheme)) {
      auto credential = trim(value.substr(scheme.size()));
      if (credential.empty()) return std::nullopt;
      return credential;
    }
  }
  return std::nullopt;
}

void token_collector::add(std::string_view token) {
  if (status_ == token_status::none) {
    status_ = token_status::one;
    token_ = token;
  } else if (status_ == token_status::one && token != token_) {
    status_ = token_status::conflicting;
  }
}

}  // namespace almagate
