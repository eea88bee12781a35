// The dashboard's rendering script: API data in, DOM out (proxy/dashboard_assets.hpp).

#include "proxy/dashboard_assets.hpp"

namespace almagate {

const std::string_view dashboard_render_js = R"js('use strict';
// The usage dashboard's rendering: data from the admin API in, DOM out. Used by app.js.
const dashboard_render = (() => {
  const number = new Intl.NumberFormat('en-US');
  const n = (x) => number.format(Math.round(x));
  const share = (a, b) => (b > 0 ? Math.min(100, (100 * a) / b) : 0);
  const pct = (a, b) => share(a, b).toFixed(1) + '%';
  const $ = (id) => document.getElementById(id);
  const reasons = {
    refused_quota: 'Client daily quota spent', refused_reserve: 'Pool down to the tier reserve',
    refused_pool: 'Pool spent', refused_speed: 'Per-second pacing (waited too long)',
    refused_scope: 'Outside the client grant', refused_store_failure: 'Budget store unreachable',
  };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }
  function bar(value, limit, kind) {
    const b = el('div', { class: 'bar' + (kind ? ' ' + kind : ''), 'aria-hidden': 'true' });
    const fill = el('span');
    fill.style.width = share(value, limit) + '%';
    b.append(fill);
    return b;
  }

  function shift_date(label, by) {
    const [y, m, d] = label.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d + by)).toISOString().slice(0, 10);
  }
  function clock(zone, iso) {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' })
      .format(new Date(iso));
  }

  // Burn rate: calls since the start of the last full hour (that hour and this one so far),
  // or since the day started when the day is younger than that; extrapolated to the reset.
  function projection(p, now_iso) {
    const now = Date.parse(now_iso), start = Date.parse(p.day_start), end = Date.parse(p.next_reset);
    const hour_start = p.current_hour === null ? null : Date.parse(p.current_hour_start);
    let since = start, calls = p.used, basis;
    if (hour_start !== null && hour_start - 3600e3 >= start) {
      since = hour_start - 3600e3;
      calls = p.hours[(p.current_hour + 23) % 24] + p.hours[p.current_hour];
      basis = 'calls since ' + clock(p.timezone, new Date(since).toISOString()) +
        ' (the last full hour and this hour so far)';
    } else {
      basis = 'calls since the day started at ' + clock(p.timezone, p.day_start);
    }
    const per_ms = calls / Math.max(now - since, 60e3);
    return { per_hour: per_ms * 3600e3, basis,
      projected: p.used + Math.round(per_ms * Math.max(end - now, 0)) };
  }

  function figure(field, value, what) {
    return el('li', {}, el('span', { class: 'value', 'data-field': field, text: value }),
      el('span', { class: 'what', text: what }));
  }

  function render_pools(today) {
    const box = $('pools');
    box.replaceChildren();
    for (const p of today.pools) {
      const proj = projection(p, today.now);
      const meter = el('div', { class: 'meter', role: 'img', 'aria-label':
        `${n(p.used)} of ${n(p.daily_limit)} calls used; projected ${n(proj.projected)} at the reset` });
      const used = el('div', { class: 'used' });
      used.style.width = share(p.used, p.daily_limit) + '%';
      const ahead = el('div', { class: 'projected' });
      ahead.style.left = used.style.width;
      ahead.style.width = (share(proj.projected, p.daily_limit) - share(p.used, p.daily_limit)) + '%';
      meter.append(ahead, used);
      for (const r of [p.reserve.batch, p.reserve.standard]) {
        const zone = el('div', { class: 'reserve' });
        zone.style.width = share(r, p.daily_limit) + '%';
        meter.append(zone);
      }
      const over = proj.projected > p.daily_limit ? ' (over the limit)' : '';
      box.append(el('div', { class: 'card', 'data-pool': p.pool },
        el('h3', { text: `${p.pool}: day of ${today.date}, ${p.timezone}, resets at ${p.reset}` }),
        el('ul', { class: 'figures' },
          figure('used', n(p.used), `used of ${n(p.daily_limit)} (${pct(p.used, p.daily_limit)})`),
          figure('remaining', n(Math.max(0, p.daily_limit - p.used)), 'remaining'),
          figure('projected', n(proj.projected), `projected at the reset${over}`),
          figure('rate', n(proj.per_hour), 'calls per hour now')),
        meter,
        el('ul', { class: 'legend' },
          el('li', {}, el('span', { class: 'swatch used' }), 'used (solid)'),
          el('li', {}, el('span', { class: 'swatch projected' }), 'projected to the reset (light stripes)'),
          el('li', {}, el('span', { class: 'swatch reserve' }), 'reserves (orange stripes)')),
        el('p', { class: 'hint', text: `Reserves: standard clients are refused once ${n(p.reserve.standard)} ` +
          `calls remain, batch clients once ${n(p.reserve.batch)} remain; core clients may use the pool to zero.` }),
        el('p', { class: 'hint', 'data-field': 'basis', text: `Projection: burn rate from ${proj.basis}, ` +
          `extrapolated to the next reset (${clock(p.timezone, p.next_reset)} ${p.timezone}).` })));
    }
  }

  function render_hours(today, yesterday) {
    const box = $('hours');
    box.replaceChildren();
    for (const p of today.pools) {
      const y = (yesterday.pools.find((q) => q.pool === p.pool) || { hours: new Array(24).fill(0) }).hours;
      const top = Math.max(1, ...p.hours, ...y);
      const chart = svg('svg', { class: 'chart', viewBox: '0 0 760 256', role: 'img',
        'aria-label': `Calls per hour in ${p.pool}: today ${n(p.hours.reduce((a, b) => a + b, 0))}, ` +
          `yesterday ${n(y.reduce((a, b) => a + b, 0))}. The table below has every hour.` });
      chart.append(svg('line', { class: 'axis', x1: 40, y1: 210, x2: 760, y2: 210 }),
        svg('text', { x: 0, y: 16 }, n(top)), svg('text', { x: 0, y: 210 }, '0'));
      const table = el('tbody');
      for (let h = 0; h < 24; ++h) {
        const x = 40 + h * 30;
        for (const [cls, v, dx, day] of [['today', p.hours[h], 3, 'today'], ['yesterday', y[h], 15, 'yesterday']]) {
          const height = (200 * v) / top;
          chart.append(svg('rect', { class: cls, x: x + dx, y: 210 - height, width: 11, height },
            svg('title', {}, `${String(h).padStart(2, '0')}:00 ${day}: ${n(v)} calls`)));
        }
        chart.append(svg('text', { x: x + 4, y: 230 }, String(h).padStart(2, '0')));
        table.append(el('tr', { 'data-hour': h }, el('th', { scope: 'row', text: String(h).padStart(2, '0') + ':00' }),
          el('td', { class: 'num', 'data-field': 'today', text: n(p.hours[h]) }),
          el('td', { class: 'num', 'data-field': 'yesterday', text: n(y[h]) })));
      }
      chart.append(svg('text', { x: 300, y: 250 }, `hour of the day (${p.timezone})`));
      box.append(el('div', { class: 'card', 'data-pool': p.pool }, el('h3', { text: p.pool }),
        el('div', { class: 'scroll' }, chart),
        el('ul', { class: 'legend' },
          el('li', {}, el('span', { class: 'swatch today' }), 'today (blue, left bar of each hour)'),
          el('li', {}, el('span', { class: 'swatch yesterday' }), 'yesterday (orange, right bar)')),
        el('details', {}, el('summary', { text: 'Calls per hour as a table' }),
          el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Hour' }),
            el('th', { scope: 'col', class: 'num', text: 'Today' }),
            el('th', { scope: 'col', class: 'num', text: 'Yesterday' }))), table))));
    }
  }

  function quota_text(c) {
    if (c.quota_override !== null)
      return `quota ${n(c.quota_override)} (live override; configured ` +
        (c.configured_quota === null ? 'none)' : n(c.configured_quota) + ')');
    return c.configured_quota === null ? 'no quota (pool and reserve only)' : `quota ${n(c.configured_quota)}`;
  }
  function effective_quota(c) { return c.quota_override !== null ? c.quota_override : c.configured_quota; }

  function render_clients(report) {
    const body = $('clients').tBodies[0];
    body.replaceChildren();
    for (const c of report.clients) {
      const q = effective_quota(c);
      const used = el('td', {}, el('span', { 'data-field': 'used', text: n(c.used_today) }),
        q === null ? ' calls' : ` of ${n(q)} (${pct(c.used_today, q)})`);
      if (q !== null) {
        const kind = c.used_today >= q ? 'spent' : c.used_today >= 0.8 * q ? 'warn' : '';
        if (kind) used.append(el('span', { class: 'tag ' + kind, text: kind === 'spent' ? 'quota spent' : 'over 80%' }));
        used.append(bar(c.used_today, q, kind));
      }
      used.append(el('div', { class: 'hint', 'data-field': 'quota', 'data-quota': q === null ? '' : q, text: quota_text(c) }));
      const grants = el('ul', { class: 'grants' });
      for (const g of c.grants)
        grants.append(el('li', { text: `${g.environment}: ` + Object.entries(g.areas).map(([a, x]) => `${a} ${x}`).join(', ') }));
      body.append(el('tr', { 'data-client': c.id }, el('th', { scope: 'row', text: c.id }),
        el('td', { 'data-field': 'tier', text: c.tier }), used,
        el('td', { class: 'num', 'data-field': 'remaining', text: n(c.remaining) }), el('td', {}, grants)));
    }
  }

  // almagate_calls_total{...,outcome="refused_quota"} N, summed by outcome.
  function render_refusals(metrics) {
    const by = {};
    for (const line of metrics.split('\n')) {
      if (!line.startsWith('almagate_calls_total{')) continue;
      const m = /outcome="([^"]+)"\}\s+([0-9.e+]+)/.exec(line);
      if (m) by[m[1]] = (by[m[1]] || 0) + Number(m[2]);
    }
    const rows = Object.keys(reasons).map((k) => [k, by[k] || 0]);
    const top = Math.max(1, ...rows.map((r) => r[1]));
    const body = el('tbody');
    for (const [k, v] of rows)
      body.append(el('tr', { 'data-reason': k }, el('th', { scope: 'row' }, reasons[k], el('div', { class: 'hint', text: k })),
        el('td', { class: 'num', 'data-field': 'count', text: n(v) }), el('td', {}, bar(v, top, v > 0 ? 'spent' : ''))));
    $('refusals').replaceChildren(el('p', { 'data-field': 'forwarded', text: `Forwarded: ${n(by.forwarded || 0)} calls.` }),
      el('div', { class: 'scroll' }, el('table', {}, el('caption', { text: 'Refused calls by reason' }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Reason' }), el('th', { scope: 'col', class: 'num', text: 'Refused' }),
          el('th', { scope: 'col', text: 'Share of the largest' }))), body)));
  }

  // days: [{date, pools: [{pool, daily_limit, used}]}], newest first.
  function render_days(days) {
    const body = el('tbody');
    for (const d of days)
      for (const p of d.pools)
        body.append(el('tr', { 'data-date': d.date, 'data-pool': p.pool }, el('th', { scope: 'row', text: d.date }),
          el('td', { text: p.pool }), el('td', { class: 'num', 'data-field': 'used', text: n(p.used) }),
          el('td', { class: 'num', text: n(p.daily_limit) }),
          el('td', {}, pct(p.used, p.daily_limit), bar(p.used, p.daily_limit, p.used >= p.daily_limit ? 'spent' : ''))));
    $('days').replaceChildren(el('div', { class: 'scroll' }, el('table', {},
      el('caption', { text: 'Calls counted in each pool per day (all instances)' }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Day' }), el('th', { scope: 'col', text: 'Pool' }),
        el('th', { scope: 'col', class: 'num', text: 'Used' }), el('th', { scope: 'col', class: 'num', text: 'Limit' }),
        el('th', { scope: 'col', text: 'Share of the limit' }))), body)));
  }

  return { pools: render_pools, hours: render_hours, clients: render_clients,
    refusals: render_refusals, days: render_days, shift_date, effective_quota, n };
})();
)js";

}  // namespace almagate
