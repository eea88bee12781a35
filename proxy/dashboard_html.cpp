// The dashboard's page (proxy/dashboard_assets.hpp). Everything shown is filled in by app.js.

#include "proxy/dashboard_assets.hpp"

namespace almagate {

const std::string_view dashboard_html = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>almagate usage</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/render.js" defer></script>
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1>almagate usage</h1>
  <p id="status" role="status" aria-live="polite">Not signed in.</p>
</header>
<main>
<section id="login" aria-labelledby="login-title">
  <h2 id="login-title">Sign in</h2>
  <form id="login-form">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Show usage</button>
    <p class="hint">The token is kept in this page's memory only: reloading the page forgets it.</p>
  </form>
</section>

<div id="board" hidden>
  <section aria-labelledby="pools-title">
    <h2 id="pools-title" tabindex="-1">Today's pool</h2>
    <div id="pools"></div>
  </section>

  <section aria-labelledby="hours-title">
    <h2 id="hours-title">Calls per hour, today and yesterday</h2>
    <div id="hours"></div>
  </section>

  <section aria-labelledby="clients-title">
    <h2 id="clients-title">Clients</h2>
    <div class="scroll">
    <table id="clients">
      <caption>Each client's calls today against its daily quota</caption>
      <thead><tr><th scope="col">Client</th><th scope="col">Tier</th>
        <th scope="col">Used today of quota</th><th scope="col">Remaining</th>
        <th scope="col">Grants</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
    <form id="quota-form" aria-labelledby="quota-title">
      <h3 id="quota-title">Change a client's daily quota</h3>
      <p class="hint">The change is stored in the budget store and applies on every gateway
        instance within a second, until it is changed again.</p>
      <div class="fields">
        <div><label for="quota-client">Client</label>
          <select id="quota-client" name="client" required></select></div>
        <div><label for="quota-value">New daily quota (calls)</label>
          <input id="quota-value" name="quota" type="number" min="0" step="1" required></div>
        <button type="submit">Change quota&hellip;</button>
      </div>
      <p id="quota-result" role="status" aria-live="polite"></p>
    </form>
  </section>

  <section aria-labelledby="refusals-title">
    <h2 id="refusals-title">Refusals by reason</h2>
    <p class="hint">Counted by the gateway instance serving this page since it started (its
      <code>/metrics</code>); other instances are not included.</p>
    <div id="refusals"></div>
  </section>

  <section aria-labelledby="days-title">
    <h2 id="days-title">The last 7 days</h2>
    <div id="days"></div>
  </section>
</div>

<dialog id="confirm" aria-labelledby="confirm-title">
  <h2 id="confirm-title">Change the quota?</h2>
  <p id="confirm-text"></p>
  <div class="fields">
    <button id="confirm-yes" type="button">Change quota</button>
    <button id="confirm-no" type="button" class="secondary">Cancel</button>
  </div>
</dialog>
</main>
</body>
</html>
)html";

}  // namespace almagate
