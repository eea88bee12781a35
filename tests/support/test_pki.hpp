#pragma once
// A throwaway CA and a server certificate for localhost / 127.0.0.1, made with OpenSSL.

#include <filesystem>

#include "tests/support/temp_dir.hpp"

namespace almagate::test {

struct tls_material {
  std::filesystem::path ca_cert{};      // ca.pem: trust this to verify server_cert
  std::filesystem::path server_cert{};  // server.crt: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::filesystem::path server_key{};   // server.key: PKCS#8 PEM, EC P-256, unencrypted
};

// Writes ca.pem, server.crt and server.key into `dir`. The keys and certificates are
// generated once per process; every call writes the same material. Throws on failure.
tls_material make_test_pki(const temp_dir& dir);

}  // namespace almagate::test
