// idle_connections: opens many keep-alive connections to a loopback HTTP server, makes one
// request on each (a bounded number in flight), then holds them all idle so the server's
// memory can be read. Used by bench/throughput; loopback (127.0.0.1) only.
//
//   idle_connections --port P [--count 10000] [--hold 5] [--window 64]
//                    [--target /almaws/v1/bibs/991234] [--token TOKEN]
//
// --window 0 makes no request: the connections stay as accepted, before any request head.
// Prints "ready connected=N answered=M" once every connection is idle, then after --hold
// seconds "held still_open=K" and exits 0 (1 on a usage or setup error).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct options {
  int port = 0;
  int count = 10000;
  int hold_seconds = 5;
  int window = 64;
  std::string target = "/almaws/v1/bibs/991234";
  std::string token;
};

bool parse_args(int argc, char** argv, options& out) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--port") out.port = std::atoi(value);
    else if (name == "--count") out.count = std::atoi(value);
    else if (name == "--hold") out.hold_seconds = std::atoi(value);
    else if (name == "--window") out.window = std::atoi(value);
    else if (name == "--target") out.target = value;
    else if (name == "--token") out.token = value;
    else return false;
  }
  return argc % 2 == 1 && out.port > 0 && out.port < 65536 && out.count > 0 && out.window >= 0 &&
         out.hold_seconds >= 0;
}

void set_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A blocking connect to 127.0.0.1:port, bounded by SO_SNDTIMEO; -1 on failure.
int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  set_timeouts(fd, 5);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Reads one response (Content-Length or chunked) so the connection is idle afterwards.
// Returns the status code, or 0 when the response could not be read (bounded by SO_RCVTIMEO).
int read_response(int fd) {
  std::string buf;
  char chunk[16384];
  std::size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    if (buf.size() > 65536) return 0;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buf.append(chunk, static_cast<std::size_t>(n));
    head_end = buf.find("\r\n\r\n");
  }
  const std::string head = lower(std::string_view(buf).substr(0, head_end));
  int status = 0;
  if (head.size() > 12) status = std::atoi(head.c_str() + 9);
  const bool chunked = head.find("transfer-encoding: chunked") != std::string::npos;
  std::size_t want = 0;
  if (auto p = head.find("content-length:"); p != std::string::npos)
    want = std::strtoull(head.c_str() + p + 15, nullptr, 10);
  std::string body = buf.substr(head_end + 4);
  for (int reads = 0; reads < 100000; ++reads) {
    if (chunked ? body.find("0\r\n\r\n") != std::string::npos : body.size() >= want) return status;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    body.append(chunk, static_cast<std::size_t>(n));
  }
  return 0;
}

// Connections the server has closed (readable with EOF or an error) are counted as closed.
int count_open(const std::vector<int>& fds) {
  std::vector<pollfd> pfds;
  pfds.reserve(fds.size());
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  ::poll(pfds.data(), pfds.size(), 0);
  int open = 0;
  for (auto& p : pfds) {
    if (p.revents == 0) {
      ++open;
      continue;
    }
    char c;
    ssize_t n = ::recv(p.fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    if (n > 0) ++open;  // unexpected data, but still open
  }
  return open;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse_args(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: idle_connections --port P [--count N] [--hold SECONDS] [--window N] "
                 "[--target PATH] [--token TOKEN]\n");
    return 1;
  }
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < static_cast<rlim_t>(opt.count) + 64) {
    std::fprintf(stderr, "idle_connections: open-file limit %llu is too low for %d connections\n",
                 static_cast<unsigned long long>(lim.rlim_cur), opt.count);
    return 1;
  }

  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(opt.count));
  for (int i = 0; i < opt.count; ++i) {
    int fd = connect_loopback(opt.port);
    if (fd < 0) break;
    fds.push_back(fd);
  }

  std::string request = "GET " + opt.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!opt.token.empty()) request += "Authorization: apikey " + opt.token + "\r\n";
  request += "\r\n";

  // One request per connection, at most --window in flight, so the upstream is not flooded.
  int answered = 0;
  const std::size_t requests = opt.window > 0 ? fds.size() : 0;
  for (std::size_t first = 0; first < requests; first += static_cast<std::size_t>(opt.window)) {
    std::size_t last = std::min(fds.size(), first + static_cast<std::size_t>(opt.window));
    std::vector<bool> sent(last - first, false);
    for (std::size_t i = first; i < last; ++i) sent[i - first] = send_all(fds[i], request);
    for (std::size_t i = first; i < last; ++i)
      if (sent[i - first] && read_response(fds[i]) != 0) ++answered;
  }

  std::printf("ready connected=%zu answered=%d\n", fds.size(), answered);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(opt.hold_seconds));
  std::printf("held still_open=%d\n", count_open(fds));
  std::fflush(stdout);
  for (int fd : fds) ::close(fd);
  return 0;
}
