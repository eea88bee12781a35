// check_report: the text `almagate check` prints.
#include <doctest/doctest.h>

#include "policy/check_report.hpp"
#include "policy/config_test_support.hpp"

namespace almagate {
namespace {

using namespace config_test;

TEST_CASE("check_report lists warnings, one aligned row per granted area, and justifications") {
  temp_dir dir;
  const std::string path = dir.write("almagate.yaml", base_yaml());
  const auto cfg = load_config(path, {.load_secrets = false});
  const std::string report = check_report(*cfg);
  CAPTURE(report);

  CHECK(report.rfind("config OK: " + path + "\n", 0) == 0);
  CHECK(report.find("warning: environment sandbox is counted in no pool\n") != std::string::npos);
  const std::string table =
      "client         environment  area           access      key                  tier   daily_quota\n"
      "caiasoft-sync  production   bibs           read-write  caiasoft-production  core   60000\n"
      "caiasoft-sync  production   users          read        caiasoft-production  core   60000\n"
      "caiasoft-sync  sandbox      bibs           read        caiasoft-sandbox     core   60000\n"
      "nightly-jobs   production   configuration  read-write  admin-production     batch  -\n";
  CHECK(report.find(table) != std::string::npos);
  CHECK(report.find("configuration-write justifications:\n"
                    "  nightly-jobs: Runs the nightly publishing job\n") != std::string::npos);
  // No secret or token in the report.
  CHECK(report.find(token_b) == std::string::npos);
}

TEST_CASE("check_report says none when no client may write configuration") {
  temp_dir dir;
  const std::string yaml = replaced(
      replaced(base_yaml(), "          configuration: read-write\n", "          users: read\n"),
      "    configuration_write_justification: \"Runs the nightly publishing job\"\n", "");
  const auto cfg = load_config(dir.write("almagate.yaml", yaml), {.load_secrets = false});
  const std::string report = check_report(*cfg);
  CHECK(report.find("configuration-write justifications:\n  none\n") != std::string::npos);
}

}  // namespace
}  // namespace almagate
