#include "policy/token.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <unordered_map>

namespace almagate {

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (unsigned i = 0; i < size; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  return out;
}

namespace {
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
}  // namespace

const std::string& token_sha256_hex(std::string_view token) {
  thread_local std::unordered_map<std::string, std::string, string_hash, std::equal_to<>> seen;
  if (auto it = seen.find(token); it != seen.end()) return it->second;
  if (seen.size() >= 1024) seen.clear();
  return seen.emplace(std::string(token), sha256_hex(token)).first->second;
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
