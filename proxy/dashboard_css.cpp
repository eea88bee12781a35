// The dashboard's style sheet (proxy/dashboard_assets.hpp). Colours: the Okabe-Ito palette,
// always with a text label or a pattern beside them; sizes in rem so 200% zoom reflows.

#include "proxy/dashboard_assets.hpp"

namespace almagate {

const std::string_view dashboard_css = R"css(
:root {
  --blue: #0072B2; --orange: #E69F00; --vermillion: #D55E00; --sky: #56B4E9;
  --green: #009E73; --purple: #CC79A7; --ink: #1a1a1a; --muted: #4d4d4d; --line: #c8c8c8;
  --paper: #ffffff; --shade: #f3f3f3;
}
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, "DejaVu Sans", sans-serif; color: var(--ink);
  background: var(--paper); }
header, main { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.5rem;
  border-bottom: 2px solid var(--ink); }
h1 { font-size: 1.6rem; margin: 0.75rem 0; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 0.5rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 0.25rem; }
#status { margin: 0.5rem 0; color: var(--muted); }
#status.error, #quota-result.error { color: var(--vermillion); font-weight: bold; }
.hint { color: var(--muted); margin: 0.25rem 0 0.5rem; max-width: 48rem; }
label { display: block; font-weight: 600; }
input, select, button { font: inherit; padding: 0.35rem 0.6rem; border: 1px solid var(--muted);
  border-radius: 0.25rem; }
input, select { min-width: 12rem; max-width: 100%; background: var(--paper); color: var(--ink); }
button { background: var(--blue); color: #fff; border-color: var(--blue); cursor: pointer; }
button.secondary { background: var(--paper); color: var(--ink); border-color: var(--muted); }
:focus-visible { outline: 3px solid var(--orange); outline-offset: 2px; }
.fields { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.75rem 1rem; }
#login-form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.5rem 1rem; }
#login-form .hint { flex-basis: 100%; }
.card { border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.75rem 1rem;
  margin: 0.5rem 0; }
.figures { display: flex; flex-wrap: wrap; gap: 0.5rem 2rem; margin: 0.25rem 0 0.75rem;
  padding: 0; list-style: none; }
.figures li { min-width: 9rem; }
.figures .value { display: block; font-size: 1.35rem; font-weight: 700; }
.figures .what { color: var(--muted); }
.meter { position: relative; height: 1.6rem; background: var(--shade);
  border: 1px solid var(--muted); border-radius: 0.2rem; overflow: hidden; }
.meter .used { position: absolute; left: 0; top: 0; bottom: 0; background: var(--blue); }
.meter .projected { position: absolute; top: 0; bottom: 0;
  background: repeating-linear-gradient(45deg, var(--sky) 0 0.35rem, var(--paper) 0.35rem 0.6rem); }
.meter .reserve { position: absolute; top: 0; bottom: 0; right: 0;
  background: repeating-linear-gradient(-45deg, var(--orange) 0 0.2rem, transparent 0.2rem 0.5rem);
  border-left: 2px solid var(--ink); opacity: 0.6; }
.legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; margin: 0.4rem 0; padding: 0;
  list-style: none; color: var(--muted); }
.swatch { display: inline-block; width: 1rem; height: 1rem; vertical-align: -0.15rem;
  margin-right: 0.35rem; border: 1px solid var(--ink); }
.swatch.used, .swatch.today { background: var(--blue); }
.swatch.projected { background: repeating-linear-gradient(45deg, var(--sky) 0 0.2rem, var(--paper) 0.2rem 0.35rem); }
.swatch.reserve { background: repeating-linear-gradient(-45deg, var(--orange) 0 0.15rem, var(--paper) 0.15rem 0.3rem); }
.swatch.yesterday { background: var(--orange); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.25rem 0; }
caption { text-align: left; color: var(--muted); padding: 0.25rem 0; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { height: 0.9rem; background: var(--shade); border: 1px solid var(--muted);
  min-width: 8rem; margin-top: 0.2rem; }
.bar > span { display: block; height: 100%; background: var(--blue); }
.bar.warn > span { background: repeating-linear-gradient(45deg, var(--orange) 0 0.3rem, #b37a00 0.3rem 0.45rem); }
.bar.spent > span { background: repeating-linear-gradient(-45deg, var(--vermillion) 0 0.3rem, #7a3300 0.3rem 0.45rem); }
.tag { display: inline-block; font-size: 0.85rem; font-weight: 700; padding: 0 0.35rem;
  border: 1px solid currentColor; border-radius: 0.2rem; margin-left: 0.35rem; }
.tag.warn { color: #8a5a00; }
.tag.spent { color: var(--vermillion); }
.grants { margin: 0; padding-left: 1rem; }
svg.chart { width: 100%; min-width: 30rem; height: auto; max-height: 22rem; display: block; }
svg.chart text { font: 15px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
svg.chart .today { fill: var(--blue); }
svg.chart .yesterday { fill: var(--orange); }
svg.chart .axis { stroke: var(--ink); }
details { margin: 0.5rem 0; }
summary { cursor: pointer; font-weight: 600; }
dialog { border: 2px solid var(--ink); border-radius: 0.4rem; max-width: min(36rem, 95vw); }
dialog::backdrop { background: rgba(0, 0, 0, 0.4); }
)css";

}  // namespace almagate
