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
    // Background polls (the status indicator) must never take focus.
    if (evt.detail.target.closest("[hx-trigger*='every']")) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var target = evt.detail.target;
    var focusable = target.querySelector("[autofocus], [data-focus-first]") || target;
    if (!focusable.hasAttribute("tabindex") && focusable === target) target.setAttribute("tabindex", "-1");
    focusable.focus({ preventScroll: true });
  });
})();
