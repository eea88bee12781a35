// Drives the almagate usage dashboard in headless Chromium and prints, as JSON, what the page
// shows; then changes one quota through the page (with its confirmation) and reads it back.
//
//   node check_dashboard.mjs ADMIN_URL TOKEN SCREENSHOT.png ZOOM200.png CLIENT NEW_QUOTA
//
// Exit 0: JSON on stdout. Exit 2: bad arguments. Exit 1: the page did not behave.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [admin, token, shot, shot200, client, quota] = process.argv.slice(2);
if (!quota) {
  console.error('usage: node check_dashboard.mjs ADMIN_URL TOKEN SCREENSHOT ZOOM200 CLIENT QUOTA');
  process.exit(2);
}
const timeout = 20000;

// What the page shows, read from its DOM (the text a person reads, commas removed).
async function read(page) {
  return page.evaluate(() => {
    const num = (t) => Number(String(t).replace(/[^0-9.-]/g, ''));
    const field = (root, name) => root.querySelector(`[data-field="${name}"]`);
    const pools = [...document.querySelectorAll('#pools [data-pool]')].map((c) => ({
      pool: c.dataset.pool, used: num(field(c, 'used').textContent),
      remaining: num(field(c, 'remaining').textContent),
      projected: num(field(c, 'projected').textContent), rate: num(field(c, 'rate').textContent),
      basis: field(c, 'basis').textContent }));
    const hours = [...document.querySelectorAll('#hours [data-pool]')].map((c) => ({
      pool: c.dataset.pool,
      today: [...c.querySelectorAll('tr[data-hour]')].map((r) => num(field(r, 'today').textContent)),
      yesterday: [...c.querySelectorAll('tr[data-hour]')].map((r) => num(field(r, 'yesterday').textContent)) }));
    const clients = [...document.querySelectorAll('#clients tr[data-client]')].map((r) => ({
      id: r.dataset.client, tier: field(r, 'tier').textContent, used: num(field(r, 'used').textContent),
      quota: field(r, 'quota').dataset.quota === '' ? null : num(field(r, 'quota').dataset.quota),
      quota_text: field(r, 'quota').textContent, remaining: num(field(r, 'remaining').textContent) }));
    const refusals = Object.fromEntries([...document.querySelectorAll('#refusals tr[data-reason]')]
      .map((r) => [r.dataset.reason, num(field(r, 'count').textContent)]));
    const days = [...document.querySelectorAll('#days tr[data-date]')].map((r) => ({
      date: r.dataset.date, pool: r.dataset.pool, used: num(field(r, 'used').textContent) }));
    const unlabelled = [...document.querySelectorAll('input, select, textarea')]
      .filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id || e.name);
    return { pools, hours, clients, refusals, days, unlabelled_controls: unlabelled,
      refreshes: Number(document.body.dataset.refreshes || 0), status: document.getElementById('status').textContent };
  });
}

const launch_args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const profiles = [];
const contexts = [];

// A browser of its own with a fresh profile; the page signed in and refreshed twice.
async function open(viewport, scale) {
  const profile = mkdtempSync(join(tmpdir(), 'almagate-dashboard-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: launch_args,
    viewport, deviceScaleFactor: scale, timeout });
  contexts.push(context);
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(timeout);
  page.outside = [];
  page.errors = [];
  page.on('request', (r) => { if (!r.url().startsWith(admin)) page.outside.push(r.url()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(admin + '/dashboard');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Show usage' }).click();
  await page.waitForSelector('#board:not([hidden])');
  // A second refresh proves the page refreshes by itself.
  await page.waitForFunction(() => Number(document.body.dataset.refreshes) >= 2, null, { timeout });
  return page;
}

try {
  const page = await open({ width: 1280, height: 900 }, 1);
  const before = await read(page);
  await page.screenshot({ path: shot, fullPage: true });

  // 200% zoom of the same window: half the CSS width, twice the pixels per CSS pixel.
  const zoomed = await open({ width: 640, height: 900 }, 2);
  const overflow = await zoomed.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await zoomed.screenshot({ path: shot200, fullPage: true });

  // Change the quota through the page, with its confirmation.
  await page.getByLabel('Client', { exact: true }).selectOption(client);
  await page.getByLabel('New daily quota (calls)').fill(quota);
  await page.getByRole('button', { name: 'Change quota…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible' });
  const confirmation = await page.locator('#confirm-text').textContent();
  await dialog.getByRole('button', { name: 'Change quota' }).click();
  await page.waitForFunction(() => /set to/.test(document.getElementById('quota-result').textContent));
  await page.waitForFunction(([id, q]) => {
    const cell = document.querySelector(`#clients tr[data-client="${id}"] [data-field="quota"]`);
    return cell && cell.dataset.quota === q;
  }, [client, quota]);
  const after = await read(page);
  const result = await page.locator('#quota-result').textContent();

  console.log(JSON.stringify({ before, after, confirmation, quota_result: result,
    zoom200_overflow_x: overflow, outside_requests: [...page.outside, ...zoomed.outside],
    page_errors: [...page.errors, ...zoomed.errors] }));
} catch (e) {
  console.error('check_dashboard: ' + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
} finally {
  for (const c of contexts) await c.close();
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
}
