#include "proxy/dashboard_assets.hpp"

namespace almagate {

const dashboard_asset* find_dashboard_asset(std::string_view path) {
  static const dashboard_asset html{"text/html; charset=utf-8", dashboard_html};
  static const dashboard_asset css{"text/css; charset=utf-8", dashboard_css};
  static const dashboard_asset js{"text/javascript; charset=utf-8", dashboard_js};
  static const dashboard_asset render_js{"text/javascript; charset=utf-8", dashboard_render_js};
  if (path == "/dashboard" || path == "/dashboard/") return &html;
  if (path == "/dashboard/app.css") return &css;
  if (path == "/dashboard/app.js") return &js;
  if (path == "/dashboard/render.js") return &render_js;
  return nullptr;
}

}  // namespace almagate
