// newsintel console: the Models, Articles, Taxonomies and Users pages.
// htmx boosts their links and forms. A 4xx answer carries the page's own
// rendering of the problem (field errors, a conflict, a 403 page): swap
// it in, as a browser without JavaScript would show it, rather than
// leaving the old page up with nothing said.
(function () {
  "use strict";
  // Boosted swaps run the page's scripts again; listen once.
  if (window.newsintelAdminLoaded) return;
  window.newsintelAdminLoaded = true;

  document.addEventListener("htmx:beforeSwap", function (evt) {
    // A boosted request's detail.elt is its target (<body>); the link or
    // form that made it is the request's own element.
    var cfg = evt.detail.requestConfig;
    var elt = (cfg && cfg.elt) || evt.detail.elt;
    if (!elt || !elt.closest || !elt.closest("[data-admin]")) return;
    var s = evt.detail.xhr.status;
    if (s >= 400 && s < 500 && s !== 401) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
