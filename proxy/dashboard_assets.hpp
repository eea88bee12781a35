#pragma once
// The usage dashboard's page, built into the binary: HTML, CSS and JS with no outside
// resources (no CDN, no library), so it works on a closed network.

#include <string_view>

namespace almagate {

struct dashboard_asset {
  std::string_view content_type;
  std::string_view body;
};

// "/dashboard" (and "/dashboard/"), "/dashboard/app.css", "/dashboard/render.js",
// "/dashboard/app.js"; null otherwise.
const dashboard_asset* find_dashboard_asset(std::string_view path);

// The pieces, one file each (dashboard_html.cpp, dashboard_css.cpp, dashboard_js.cpp,
// dashboard_render_js.cpp).
extern const std::string_view dashboard_html;
extern const std::string_view dashboard_css;
extern const std::string_view dashboard_js;         // app.js
extern const std::string_view dashboard_render_js;  // render.js

}  // namespace almagate
