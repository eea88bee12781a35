#pragma once
// A connection's deadline for the operation under way, kept with one timer per connection.
//
// Beast's stream arms a timer around every read and write and cancels it when the operation
// ends: a lock, a timer-heap insertion and removal, and a cancelled handler sent through the
// scheduler, twice a call. Almost every operation ends long before its deadline, so this timer
// is armed once and left alone: an operation only records when it must end. When the timer
// fires before that moment it waits again for it; when the moment has passed with the
// operation still under way, the connection is closed (as Beast's stream does), which ends
// the operation with operation_aborted, and expired() says why.

#include <chrono>
#include <memory>
#include <optional>

#include "proxy/io.hpp"

namespace almagate {

class deadline {
 public:
  using clock = std::chrono::steady_clock;

  // `stream` is the connection's TCP stream (the lowest layer under TLS); it must outlive
  // every operation timed here.
  deadline(const executor& ex, plain_stream& stream)
      : state_(std::make_shared<state>(ex, stream)) {}

  // The operations that follow must end within `timeout` of now, or the connection is closed.
  void start(std::chrono::milliseconds timeout) { start_until(clock::now() + timeout); }

  // The same with the moment given: several reads that together must end by `due` (a
  // header's, under its timeout from its first byte).
  void start_until(clock::time_point due) {
    auto& s = *state_;
    s.due = due;
    // Armed for later than this (or not armed): arm it for this. Armed earlier: it fires,
    // finds the deadline not yet come, and waits again.
    if (s.due < s.armed_for) arm(state_, s.due);
  }

  // No operation under way: the timer, when it fires, does nothing and stays unarmed.
  void stop() { state_->due = clock::time_point::max(); }

  // Whether the connection was closed because an operation passed its deadline.
  bool expired() const { return state_->expired; }

  // `ec` from an operation timed here, as Beast's stream says a timeout.
  error_code reason(const error_code& ec) const {
    return ec && expired() ? error_code(beast::error::timeout) : ec;
  }

 private:
  struct state {
    state(const executor& ex, plain_stream& s) : timer(ex), stream(s) {}
    steady_timer timer;
    plain_stream& stream;
    clock::time_point due = clock::time_point::max();        // of the operation under way
    clock::time_point armed_for = clock::time_point::max();  // max: the timer is not waiting
    bool expired = false;
  };

  // The handler holds the state weakly: a connection may be destroyed while a fired timer's
  // handler waits in the scheduler (cancelling it is then too late).
  static void arm(const std::shared_ptr<state>& s, clock::time_point at) {
    s->armed_for = at;
    s->timer.expires_at(at);
    s->timer.async_wait([weak = std::weak_ptr<state>(s)](error_code ec) {
      if (ec) return;  // moved earlier, or the connection is gone
      if (auto held = weak.lock()) fired(held);
    });
  }

  static void fired(const std::shared_ptr<state>& s) {
    s->armed_for = clock::time_point::max();
    if (s->due == clock::time_point::max()) return;
    if (clock::now() < s->due) {
      arm(s, s->due);
      return;
    }
    s->expired = true;
    s->stream.close();
  }

  std::shared_ptr<state> state_;
};

// The moment `timeout` after the first time it is asked for: the reads of one header share it
// (the header's timeout runs from its first read), and a header already whole reads no clock.
class due_from_first_read {
 public:
  explicit due_from_first_read(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  deadline::clock::time_point get() {
    if (!at_) at_ = deadline::clock::now() + timeout_;
    return *at_;
  }

 private:
  std::chrono::milliseconds timeout_;
  std::optional<deadline::clock::time_point> at_;
};

}  // namespace almagate
