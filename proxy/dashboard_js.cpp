// The dashboard's script: sign-in, refresh loop, quota changes (proxy/dashboard_assets.hpp).

#include "proxy/dashboard_assets.hpp"

namespace almagate {

const std::string_view dashboard_js = R"js('use strict';
// The usage dashboard: asks the admin API with the token typed in (kept in memory only),
// renders with dashboard_render (render.js), refreshes every few seconds.
(() => {
  const refresh_ms = 5000;
  const days_every = 6;  // the last 7 days: every 6th refresh (30 s)
  const render = dashboard_render;
  const $ = (id) => document.getElementById(id);
  let token = null;
  let refreshes = 0;
  let timer = null;
  let days = [];
  let clients = [];

  function status(text, error) {
    $('status').textContent = text;
    $('status').classList.toggle('error', !!error);
  }

  function result(text, error) {
    $('quota-result').textContent = text;
    $('quota-result').classList.toggle('error', !!error);
  }

  async function api(path, options = {}) {
    const res = await fetch(path, { ...options, cache: 'no-store',
      headers: { Authorization: 'Bearer ' + token, ...(options.headers || {}) } });
    if (res.status === 401) {
      const e = new Error('The admin token was refused.');
      e.unauthorized = true;
      throw e;
    }
    if (!res.ok) {
      let message = 'HTTP ' + res.status;
      try { message = (await res.json()).errorList.error[0].errorMessage; } catch (_) { /* keep */ }
      throw new Error(message);
    }
    const type = res.headers.get('content-type') || '';
    return type.startsWith('application/json') ? res.json() : res.text();
  }

  async function load_days(today) {
    const dates = [0, 1, 2, 3, 4, 5, 6].map((i) => render.shift_date(today, -i));
    return Promise.all(dates.map((d) => api('/v1/usage?date=' + d)));
  }

  function fill_client_choice(list) {
    const select = $('quota-client');
    const ids = list.map((c) => c.id).join('\n');
    if (select.dataset.ids === ids) return;
    const keep = select.value;
    select.replaceChildren(...list.map((c) => new Option(c.id, c.id)));
    if (list.some((c) => c.id === keep)) select.value = keep;
    select.dataset.ids = ids;
  }

  async function refresh() {
    const [today, report, metrics] = await Promise.all([
      api('/v1/usage/hours'), api('/v1/clients'), api('/metrics')]);
    const yesterday = await api('/v1/usage/hours?date=' + render.shift_date(today.date, -1));
    if (refreshes % days_every === 0 || !days.length || days[0].date !== today.date)
      days = await load_days(today.date);
    else
      days[0] = await api('/v1/usage?date=' + today.date);
    clients = report.clients;
    render.pools(today);
    render.hours(today, yesterday);
    render.clients(report);
    render.refusals(metrics);
    render.days(days);
    fill_client_choice(clients);
    ++refreshes;
    document.body.dataset.refreshes = String(refreshes);
    return today;
  }

  async function loop() {
    timer = null;
    try {
      await refresh();
      status(`Updated at ${new Date().toLocaleTimeString('en-GB')}; refreshes every ${refresh_ms / 1000} seconds.`);
    } catch (e) {
      if (e.unauthorized) return sign_out(e.message);
      status('Could not refresh: ' + e.message, true);
    }
    timer = setTimeout(loop, refresh_ms);
  }

  function sign_out(message) {
    token = null;
    if (timer) clearTimeout(timer);
    timer = null;
    $('board').hidden = true;
    $('login').hidden = false;
    status(message, true);
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    token = $('token').value;
    $('token').value = '';
    status('Loading...');
    try {
      await refresh();
    } catch (e) {
      return e.unauthorized ? sign_out(e.message) : status('Could not load: ' + e.message, true);
    }
    $('login').hidden = true;
    $('board').hidden = false;
    status(`Updated at ${new Date().toLocaleTimeString('en-GB')}; refreshes every ${refresh_ms / 1000} seconds.`);
    timer = setTimeout(loop, refresh_ms);
    $('pools-title').focus();
  });

  let pending = null;  // {client, quota} waiting for confirmation
  $('quota-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = $('quota-client').value;
    const quota = Number($('quota-value').value);
    if ($('quota-value').value === '' || !Number.isInteger(quota) || quota < 0)
      return result('The quota must be a whole number, 0 or more.', true);
    const c = clients.find((x) => x.id === id);
    if (!c) return result('No client named ' + id + '.', true);
    const now = render.effective_quota(c);
    pending = { id, quota };
    $('confirm-text').textContent = `Set the daily quota of ${id} from ` +
      (now === null ? 'none' : render.n(now)) + ` to ${render.n(quota)} calls? It has used ` +
      `${render.n(c.used_today)} today. The change applies on every gateway instance within a second.`;
    $('confirm').showModal();
  });
  $('confirm-no').addEventListener('click', () => { pending = null; $('confirm').close(); });
  $('confirm-yes').addEventListener('click', async () => {
    $('confirm').close();
    if (!pending) return;
    const { id, quota } = pending;
    pending = null;
    try {
      await api('/v1/clients/' + encodeURIComponent(id) + '/quota', { method: 'PUT',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ daily_quota: quota }) });
      result(`Quota of ${id} set to ${render.n(quota)} calls a day.`);
      await refresh();
    } catch (e) {
      if (e.unauthorized) return sign_out(e.message);
      result('The quota was not changed: ' + e.message, true);
    }
  });
})();
)js";

}  // namespace almagate
