// almagate: a rate-limiting gateway in front of the Ex Libris Alma APIs.

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "policy/check_report.hpp"
#include "policy/config.hpp"
#include "policy/token.hpp"
#include "proxy/admin_cli.hpp"
#include "proxy/check_overrides.hpp"
#include "proxy/server.hpp"

namespace {

using namespace almagate;

// Written once listening, for tests and supervisors: {"listen": PORT, "admin": PORT}.
void write_port_file(const std::string& path, std::uint16_t port, std::uint16_t admin_port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "{\"listen\": " << port;
    if (admin_port) out << ", \"admin\": " << admin_port;
    out << "}\n";
  }
  std::filesystem::rename(tmp, path);
}

int serve(const std::string& config_path, const std::string& port_file) {
  // A closed stdout or stderr (a log pipe whose reader went away) makes a write fail with
  // EPIPE instead of killing the gateway; sockets already send with MSG_NOSIGNAL.
  std::signal(SIGPIPE, SIG_IGN);
  config_ptr cfg;
  try {
    cfg = load_config(config_path);
  } catch (const config_error& e) {
    std::fprintf(stderr, "almagate: %s\n", e.what());
    return 2;
  }
  server srv(cfg);
  try {
    srv.bind();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "almagate: cannot listen: %s\n", e.what());
    return 1;
  }
  for (const auto& w : cfg->warnings) srv.shared().log().warn("config: {}", w);
  srv.shared().log().info("almagate listening on {}://{}:{} ({} environments, {} clients)",
                          cfg->tls_cert.empty() ? "http" : "https", cfg->listen.host, srv.port(),
                          cfg->environments.size(), cfg->clients.size());
  if (srv.admin_port())
    srv.shared().log().info("admin endpoint on http://{}:{}", cfg->admin.listen->host,
                            srv.admin_port());
  if (!port_file.empty()) write_port_file(port_file, srv.port(), srv.admin_port());
  srv.run();
  srv.shared().log().info("almagate stopped");
  return 0;
}

int check(const std::string& config_path, bool no_secrets, bool no_store) {
  try {
    auto cfg = load_config(config_path, load_options{.load_secrets = !no_secrets});
    std::cout << check_report(*cfg);
    if (!no_store) std::cout << "\n" << overrides_report(*cfg);
    return 0;
  } catch (const config_error& e) {
    std::fprintf(stderr, "almagate: %s\n", e.what());
    return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"almagate: a rate-limiting gateway in front of the Ex Libris Alma APIs.\n"
               "Scripts send an internal token instead of an Alma key; almagate checks the\n"
               "call's area and access, injects the real key and forwards it to Alma."};
  app.require_subcommand(1);

  std::string config_path, port_file;
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway.");
  serve_cmd->add_option("-c,--config,config", config_path, "Config file (YAML)")->required();
  serve_cmd->add_option("--port-file", port_file,
                        "Once listening, write {\"listen\": PORT} to this file (for tests and "
                        "supervisors; useful with port 0)");

  bool no_secrets = false;
  auto* check_cmd = app.add_subcommand(
      "check", "Validate a config, then print who may do what: client x environment x area x "
               "access, and the configuration-write justifications. Exits 2 on an error.");
  check_cmd->add_option("-c,--config,config", config_path, "Config file (YAML)")->required();
  check_cmd->add_flag("--no-secrets", no_secrets,
                      "Do not read the keys (secret_env/secret_file): check the rest only");
  bool no_store = false;
  check_cmd->add_flag("--no-store", no_store,
                      "Do not ask the store (Redis) for the live quota overrides");

  auto* token_cmd = app.add_subcommand("token", "Client tokens.");
  token_cmd->require_subcommand(1);
  auto* token_new = token_cmd->add_subcommand(
      "new", "Print a new random client token and the token_sha256 line for the config. Give "
             "the token to the script's owner; only the hash goes in the config.");

  admin_cli_options admin;
  std::string admin_format = "table";
  std::optional<std::string> usage_date;
  std::string quota_client;
  std::int64_t quota_calls = 0;
  auto add_admin_url = [&](CLI::App* cmd) {
    cmd->add_option("--admin", admin.admin_url,
                    "Admin endpoint of a running instance (token from ALMAGATE_ADMIN_TOKEN)")
        ->capture_default_str();
  };

  auto* usage_cmd = app.add_subcommand(
      "usage", "Print a day's calls per client, environment, area, access and status class, "
               "with each pool's limit and used count, from a running instance.");
  add_admin_url(usage_cmd);
  usage_cmd->add_option("--date", usage_date, "Day as YYYY-MM-DD (default: today)");
  usage_cmd->add_option("--format", admin_format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();

  auto* quota_cmd = app.add_subcommand("quota", "Clients' daily quotas on a running instance.");
  quota_cmd->require_subcommand(1);
  auto* quota_show = quota_cmd->add_subcommand(
      "show", "Each client: tier, configured quota, live override, used today, remaining, grants.");
  add_admin_url(quota_show);
  quota_show->add_option("--format", admin_format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  auto* quota_set = quota_cmd->add_subcommand(
      "set", "Set a live daily quota override for CLIENT (every instance applies it within 1 s).");
  add_admin_url(quota_set);
  quota_set->add_option("client", quota_client, "Client id")->required();
  quota_set->add_option("calls", quota_calls, "Daily quota (calls, 0 or more)")->required();
  auto* quota_clear = quota_cmd->add_subcommand(
      "clear", "Remove CLIENT's live override; the configured quota applies again.");
  add_admin_url(quota_clear);
  quota_clear->add_option("client", quota_client, "Client id")->required();

  CLI11_PARSE(app, argc, argv);

  admin.token = admin_token_from_environment();
  if (usage_cmd->parsed()) return run_usage(admin, usage_date, admin_format);
  if (quota_show->parsed()) return run_quota_show(admin, admin_format);
  if (quota_set->parsed()) return run_quota_set(admin, quota_client, quota_calls);
  if (quota_clear->parsed()) return run_quota_clear(admin, quota_client);

  if (serve_cmd->parsed()) return serve(config_path, port_file);
  if (check_cmd->parsed()) return check(config_path, no_secrets, no_store);
  if (token_new->parsed()) {
    auto token = new_token();
    std::cout << "token:        " << token << "\n"
              << "token_sha256: \"" << sha256_hex(token) << "\"\n";
    return 0;
  }
  return 1;
}
