#pragma once
// Errors a budget store reports as values (never exceptions, never a crash or a hang).

#include <boost/system/error_code.hpp>

namespace almagate {

enum class store_errc {
  unavailable = 1,  // not connected (reconnecting with backoff) or the connection dropped
  timeout,          // no answer within the command timeout; the connection is reset
  script_error,     // Redis answered with an error (script failed, wrong type, ...)
  bad_reply,        // an answer of an unexpected shape
};

const boost::system::error_category& store_category();
boost::system::error_code make_error_code(store_errc e);

}  // namespace almagate

template <>
struct boost::system::is_error_code_enum<almagate::store_errc> : std::true_type {};
