#pragma once
// Alma's own error bodies, so client libraries that switch on errorCode keep working.

#include <string>
#include <string_view>

namespace almagate {

enum class body_format { xml, json };

// Alma's choice: `format=json|xml` in the query wins, then `Accept`; XML otherwise.
body_format preferred_format(std::string_view format_param, std::string_view accept);

// An error almagate itself answers with.
struct refusal {
  unsigned status = 500;
  std::string_view code;  // GENERAL_ERROR, UNAUTHORIZED, FORBIDDEN, ...
  std::string message;
  unsigned retry_after_seconds = 0;  // 0: no Retry-After header
};

std::string alma_error_body(body_format format, std::string_view code,
                            std::string_view message, std::string_view tracking_id);
std::string_view content_type_of(body_format format);

}  // namespace almagate
