// newsintel console: behaviour shared by every page. Page scripts add
// their own (review.js). No framework: htmx does the requests.
(function () {
  "use strict";

  // The API connectivity indicator polls /console/status. When the poll
  // itself fails the server is unreachable: say so in red instead of
  // leaving the last good status up.
  function markUnreachable(evt) {
    var el = document.getElementById("api-status");
    if (!el || evt.detail.elt !== el) return;
    el.innerHTML = '<span class="dot bad" aria-hidden="true"></span>' +
      '<span data-testid="api-status-text">API unreachable</span>' +
      '<ul class="status-items"><li class="bad">the server does not answer</li></ul>';
  }
  document.addEventListener("htmx:sendError", markUnreachable);
  document.addEventListener("htmx:responseError", function (evt) {
    // A 401 carries HX-Redirect to the login page; anything else is an outage.
    if (evt.detail.xhr && evt.detail.xhr.status === 401) return;
    markUnreachable(evt);
  });

  // After a swap, keep keyboard focus inside the swapped content so it is
  // never lost to <body>.
  document.addEventListener("htmx:afterSwap", function (evt) {
    // A history restore (Back) swaps without a request: its event has no
    // detail.target, only the element swapped into.
    var target = evt.detail.target || evt.target;
    if (!target || !target.closest) return;
    // Background polls (the status indicator) must never take focus.
    if (target.closest("[hx-trigger*='every']")) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var focusable = target.querySelector("[autofocus], [data-focus-first]") || target;
    if (!focusable.hasAttribute("tabindex") && focusable === target) target.setAttribute("tabindex", "-1");
    focusable.focus({ preventScroll: true });
  });

  // --- A session that ends mid-work ---------------------------------------
  // A request that meets an ended session gets 401 with HX-Redirect to the
  // login page (reason=expired), and the browser goes there. A change the
  // user was sending (a label) would be lost: keep it in sessionStorage
  // (this tab only), and once they are back on the page it came from,
  // logged in as the same user, offer to send it. It is never sent unasked:
  // the item may have moved on meanwhile, and the server's answer (done,
  // or why not) then shows as for any action.
  var PENDING = "newsintel.pending";

  function currentUser() {
    var el = document.querySelector('[data-testid="whoami"] span');
    return el ? el.textContent.trim() : "";
  }

  function formFields(cfg) {
    var fields = [];
    var keep = function (v, k) {
      if (k !== "csrf_token" && typeof v === "string") fields.push([k, v]);
    };
    if (typeof FormData !== "undefined" && cfg.formData instanceof FormData) {
      cfg.formData.forEach(keep);
    } else if (cfg.parameters) {
      Object.keys(cfg.parameters).forEach(function (k) { keep(String(cfg.parameters[k]), k); });
    }
    return fields;
  }

  document.addEventListener("htmx:beforeOnLoad", function (evt) {
    var xhr = evt.detail.xhr, cfg = evt.detail.requestConfig;
    if (!xhr || xhr.status !== 401 || !cfg) return;
    if ((xhr.getResponseHeader("HX-Redirect") || "").indexOf("reason=expired") < 0) return;
    var verb = String(cfg.verb || "get").toLowerCase();
    if (verb === "get") return; // nothing to lose: the page is kept in next
    var target = evt.detail.target;
    var swapper = evt.detail.elt && evt.detail.elt.closest ? evt.detail.elt.closest("[hx-swap]") : null;
    try {
      sessionStorage.setItem(PENDING, JSON.stringify({
        verb: verb, path: cfg.path, fields: formFields(cfg),
        page: location.pathname, user: currentUser(),
        target: target && target.id ? "#" + target.id : "",
        swap: swapper ? swapper.getAttribute("hx-swap") : "innerHTML",
        at: Date.now()
      }));
    } catch (e) { /* storage off or full: the change is lost, as without this */ }
  });

  function describe(p) {
    var label = null;
    p.fields.forEach(function (f) { if (f[0] === "label") label = f[1]; });
    var items = p.fields.filter(function (f) { return f[0] === "item"; }).length;
    if (/\/review\/bulk$/.test(p.path) && label !== null && items > 0) {
      return "Your unsent label '" + label + "' for " + items + (items === 1 ? " item" : " items");
    }
    var m = /\/items\/(\d+)\/(label|skip|undo)$/.exec(p.path);
    if (m && m[2] === "label" && label !== null) return "Your unsent label '" + label + "' for item " + m[1];
    if (m) return "Your unsent " + m[2] + " of item " + m[1];
    return "Your unsent change (" + p.verb.toUpperCase() + " " + p.path + ")";
  }

  function dropPending() {
    try { sessionStorage.removeItem(PENDING); } catch (e) { /* storage off */ }
  }

  function sendPending(p, box) {
    dropPending();
    box.remove();
    var target = (p.target && document.querySelector(p.target)) || document.getElementById("main");
    var values = {};
    p.fields.forEach(function (f) {
      var k = f[0], v = f[1];
      if (!(k in values)) values[k] = v;
      else if (Array.isArray(values[k])) values[k].push(v);
      else values[k] = [values[k], v];
    });
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { /* none */ }
    // The target is the source too, so page scripts (review.js) treat the
    // answer as that of one of their own forms: errors show inline.
    htmx.ajax(p.verb.toUpperCase(), p.path, { source: target, target: target, swap: p.swap || "innerHTML",
      values: values, headers: headers });
  }

  function button(text, testid, cls) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("data-testid", testid);
    if (cls) b.className = cls;
    return b;
  }

  function offerPending() {
    var raw = null;
    try { raw = sessionStorage.getItem(PENDING); } catch (e) { return; }
    if (!raw) return;
    var p = null;
    try { p = JSON.parse(raw); } catch (e) { /* handled below */ }
    if (!p || !p.path || !Array.isArray(p.fields)) { dropPending(); return; }
    var main = document.getElementById("main"), user = currentUser();
    if (!main || !user || p.page !== location.pathname) return; // not logged in yet, or elsewhere
    if (p.user && p.user !== user) { dropPending(); return; } // someone else's
    if (document.querySelector('[data-testid="pending-action"]')) return;
    var box = document.createElement("div");
    box.className = "admin admin-notice pending-action"; // .admin styles its buttons
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "pending-action");
    var text = document.createElement("p");
    text.textContent = describe(p) + " \u2014 send now? Your session had ended when you sent it.";
    var send = button("Send now", "pending-send");
    var drop = button("Discard", "pending-discard", "secondary");
    send.addEventListener("click", function () { sendPending(p, box); });
    drop.addEventListener("click", function () { dropPending(); box.remove(); });
    var actions = document.createElement("div");
    actions.className = "admin-actions";
    actions.appendChild(send);
    actions.appendChild(drop);
    box.appendChild(text);
    box.appendChild(actions);
    main.insertBefore(box, main.firstChild);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", offerPending);
  else offerPending();
})();
