// almagate: a rate-limiting gateway in front of the Ex Libris Alma APIs.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "policy/check_report.hpp"
#include "policy/config.hpp"
#include "policy/token.hpp"
#include "proxy/server.hpp"

namespace {

using namespace almagate;

// Written once listening, for tests and supervisors: {"listen": PORT}.
void write_port_file(const std::string& path, std::uint16_t port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "{\"listen\": " << port << "}\n";
  }
  std::filesystem::rename(tmp, path);
}

int serve(const std::string& config_path, const std::string& port_file) {
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
    std::fprintf(stderr, "almagate: cannot listen on %s:%u: %s\n", cfg->listen.host.c_str(),
                 cfg->listen.port, e.what());
    return 1;
  }
  for (const auto& w : cfg->warnings) srv.shared().log().warn("config: {}", w);
  srv.shared().log().info("almagate listening on {}://{}:{} ({} environments, {} clients)",
                          cfg->tls_cert.empty() ? "http" : "https", cfg->listen.host, srv.port(),
                          cfg->environments.size(), cfg->clients.size());
  if (!port_file.empty()) write_port_file(port_file, srv.port());
  srv.run();
  srv.shared().log().info("almagate stopped");
  return 0;
}

int check(const std::string& config_path, bool no_secrets) {
  try {
    auto cfg = load_config(config_path, load_options{.load_secrets = !no_secrets});
    std::cout << check_report(*cfg);
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

  auto* token_cmd = app.add_subcommand("token", "Client tokens.");
  token_cmd->require_subcommand(1);
  auto* token_new = token_cmd->add_subcommand(
      "new", "Print a new random client token and the token_sha256 line for the config. Give "
             "the token to the script's owner; only the hash goes in the config.");

  CLI11_PARSE(app, argc, argv);

  if (serve_cmd->parsed()) return serve(config_path, port_file);
  if (check_cmd->parsed()) return check(config_path, no_secrets);
  if (token_new->parsed()) {
    auto token = new_token();
    std::cout << "token:        " << token << "\n"
              << "token_sha256: \"" << sha256_hex(token) << "\"\n";
    return 0;
  }
  return 1;
}
