#include "proxy/tls_socket.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>

namespace almagate {

struct tls_engine {
  // A record (16 KiB of data and its overhead) and more: what one read of the socket takes.
  static constexpr std::size_t ciphertext_bytes = 32 * 1024;

  SSL* ssl = nullptr;
  int fd = -1;
  int send_errno = 0;  // of the last failed send, for SSL_ERROR_SYSCALL
  std::unique_ptr<char[]> ciphertext = std::make_unique<char[]>(ciphertext_bytes);
  std::size_t begin = 0;  // ciphertext[begin, end) waits for OpenSSL
  std::size_t end = 0;

  tls_engine() = default;
  tls_engine(const tls_engine&) = delete;
  tls_engine& operator=(const tls_engine&) = delete;
  ~tls_engine() {
    if (ssl) SSL_free(ssl);  // and the BIO with it
  }
};

namespace {

// The BIO between OpenSSL and the connection. Reads come from the engine's ciphertext, with
// no system call: the socket is read through Asio's reactor. Writes go to the socket at once.
int bio_read(BIO* bio, char* out, std::size_t size, std::size_t* read) {
  auto& e = *static_cast<tls_engine*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const std::size_t held = e.end - e.begin;
  if (held == 0) {
    BIO_set_retry_read(bio);
    *read = 0;
    return 0;
  }
  const std::size_t n = std::min(held, size);
  std::memcpy(out, e.ciphertext.get() + e.begin, n);
  e.begin += n;
  if (e.begin == e.end) e.begin = e.end = 0;
  *read = n;
  return 1;
}

int bio_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  auto& e = *static_cast<tls_engine*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = ::send(e.fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    *written = static_cast<std::size_t>(n);
    return 1;
  }
  *written = 0;
  if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
  else e.send_errno = errno;
  return 0;
}

long bio_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* connection_bio() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "almagate connection");
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

// OpenSSL's verdict on a step needs an empty error queue before it (SSL_get_error).
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

error_code openssl_error() {
  error_code ec(static_cast<int>(ERR_get_error()), net::error::get_ssl_category());
  ERR_clear_error();
  return ec;
}

// A call that failed (SSL_get_error takes any result not above 0 alike).
tls_socket::step failure(tls_engine& e, error_code& ec) {
  switch (SSL_get_error(e.ssl, 0)) {
    case SSL_ERROR_WANT_READ: return tls_socket::step::want_read;
    case SSL_ERROR_WANT_WRITE: return tls_socket::step::want_write;
    case SSL_ERROR_ZERO_RETURN: ec = net::error::eof; break;  // the peer's close_notify
    case SSL_ERROR_SYSCALL:
      ec = e.send_errno ? error_code(e.send_errno, boost::system::system_category())
                        : error_code(net::error::connection_reset);
      e.send_errno = 0;
      ERR_clear_error();
      break;
    default: ec = openssl_error(); break;
  }
  return tls_socket::step::done;
}

}  // namespace

tls_socket::tls_socket(plain_stream stream)
    : stream_(std::move(stream)), engine_(std::make_unique<tls_engine>()) {
  engine_->fd = stream_.socket().native_handle();
}
tls_socket::tls_socket(tls_socket&&) noexcept = default;
tls_socket::~tls_socket() = default;

bool tls_socket::prepare_client(ssl::context& context, const std::string& host, error_code& ec) {
  clear_errors();
  SSL* ssl = SSL_new(context.native_handle());
  if (!ssl) {
    ec = openssl_error();
    return false;
  }
  engine_->ssl = ssl;
  BIO* bio = BIO_new(connection_bio());
  if (!bio) {
    ec = openssl_error();
    return false;
  }
  BIO_set_data(bio, engine_.get());
  SSL_set_bio(ssl, bio, bio);  // one reference, both ways, owned by ssl
  SSL_set_connect_state(ssl);
  // A write retried after would_block may come from another address with the same bytes.
  SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);

  error_code not_an_address;
  net::ip::make_address(host, not_an_address);
  const bool is_address = !not_an_address;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  bool ok;
  if (is_address) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = SSL_set1_host(ssl, host.c_str()) == 1 && SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  }
  if (!ok) ec = openssl_error();
  return ok;
}

namespace {
// One OpenSSL call (`call`: 1 on success, as SSL_read_ex and the like) on an open connection;
// closed (at a deadline), the descriptor's number may already name another connection.
template <class Call>
tls_socket::step one_step(const plain_stream& stream, tls_engine& e, error_code& ec, Call call) {
  ec = {};
  if (!stream.socket().is_open()) {
    ec = net::error::bad_descriptor;
    return tls_socket::step::done;
  }
  clear_errors();
  if (call(e.ssl) == 1) return tls_socket::step::done;
  return failure(e, ec);
}
}  // namespace

tls_socket::step tls_socket::handshake_step(error_code& ec) {
  return one_step(stream_, *engine_, ec, [](SSL* ssl) { return SSL_connect(ssl); });
}

tls_socket::step tls_socket::read_step(net::mutable_buffer into, std::size_t& n, error_code& ec) {
  n = 0;
  if (into.size() == 0) return ec = {}, step::done;
  return one_step(stream_, *engine_, ec, [&](SSL* ssl) {
    return SSL_read_ex(ssl, into.data(), into.size(), &n);
  });
}

tls_socket::step tls_socket::write_step(net::const_buffer from, std::size_t& n, error_code& ec) {
  n = 0;
  if (from.size() == 0) return ec = {}, step::done;
  return one_step(stream_, *engine_, ec, [&](SSL* ssl) {
    return SSL_write_ex(ssl, from.data(), from.size(), &n);
  });
}

bool tls_socket::holds_unread() const {
  return engine_->end > engine_->begin || SSL_has_pending(engine_->ssl) == 1;
}

net::mutable_buffer tls_socket::ciphertext_room() {
  // OpenSSL asks for more only once it has taken all that was held.
  return {engine_->ciphertext.get() + engine_->end, tls_engine::ciphertext_bytes - engine_->end};
}

void tls_socket::ciphertext_read(std::size_t n) { engine_->end += n; }

error_code tls_socket::ciphertext_failure(const error_code& ec) const {
  if (ec != net::error::eof) return ec;
  // Closed without close_notify: between records it is the end (as on a plain connection,
  // and HTTP's framing tells a cut message); within a record, a cut.
  return SSL_has_pending(engine_->ssl) ? error_code(ssl::error::stream_truncated) : ec;
}

}  // namespace almagate
