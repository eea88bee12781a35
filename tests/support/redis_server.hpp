#pragma once
// A real redis-server on a free loopback port, in its own temp dir, for tests.
// Nothing is persisted. Killed on destruction; stop() and start() keep the port (outage tests).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace almagate::test {

class redis_server {
 public:
  // Starts at once; throws std::runtime_error if it does not answer PING within the deadline.
  explicit redis_server(std::chrono::milliseconds start_deadline = std::chrono::seconds{10});
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  void stop();   // SIGTERM, then SIGKILL after a deadline; waits for the process
  void start();  // on the same port; waits for PING

 private:
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::chrono::milliseconds start_deadline_;
};

// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
std::uint16_t free_loopback_port();

}  // namespace almagate::test
