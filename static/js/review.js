// newsintel console: the review page's keyboard shortcuts, lease
// countdown and error display. The page works without this script (every
// action is a plain form); this makes it keyboard-first and fast.
(function () {
  "use strict";
  if (window.newsintelReview) return; // loaded once per document
  window.newsintelReview = true;

  var regions = "#review-workspace, #review-bulk, #adjudication";
  var busy = false; // one request at a time: a key held down acts once
  var bulkFocusID = null; // the bulk row focused when a request left

  function page() { return document.querySelector("[data-review-mode]"); }
  function mode() { var p = page(); return p ? p.getAttribute("data-review-mode") : ""; }
  function inRegion(el) { return !!(el && el.closest && el.closest(regions)); }

  // typing reports whether keys are going into a field, where shortcuts
  // must not fire. Checkboxes and buttons are not typing: x and the
  // digits work while a bulk row's checkbox has focus.
  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    var t = (el.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "image", "range", "color", "file"].indexOf(t) < 0;
  }

  function shortcut(key) {
    var region = document.querySelector("#review-workspace, #review-bulk");
    return region ? region.querySelector('[data-shortcut="' + key + '"]') : null;
  }

  // --- Help dialog -------------------------------------------------------
  var helpReturn = null;
  function openHelp() {
    var d = document.getElementById("review-help");
    if (!d || d.open) return;
    helpReturn = document.activeElement;
    d.showModal();
  }
  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-review-help-open]")) openHelp();
  });
  document.addEventListener("close", function (evt) {
    if (evt.target.id !== "review-help") return;
    if (helpReturn && document.contains(helpReturn)) helpReturn.focus();
    else focusWorkspace();
  }, true);

  // --- Bulk rows ---------------------------------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]")); }
  function currentRow() {
    var a = document.activeElement;
    return a && a.closest ? a.closest("[data-bulk-row]") : null;
  }
  function focusRow(row) {
    var box = row && row.querySelector('input[type="checkbox"]');
    if (box) {
      box.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function moveRow(step) {
    var all = rows();
    if (!all.length) return;
    var i = all.indexOf(currentRow());
    i = i < 0 ? 0 : Math.min(Math.max(i + step, 0), all.length - 1);
    focusRow(all[i]);
  }
  function toggleRow() {
    var row = currentRow() || rows()[0];
    var box = row && row.querySelector('input[type="checkbox"]');
    if (!box) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    focusRow(row);
  }
  function boxes() {
    return rows().map(function (r) { return r.querySelector('input[type="checkbox"]'); }).filter(Boolean);
  }
  function countSelected() {
    var out = document.querySelector("[data-bulk-count]");
    var all = document.querySelector("[data-bulk-all]");
    var total = boxes().length;
    var n = document.querySelectorAll('[data-bulk-row] input[type="checkbox"]:checked').length;
    if (out) out.textContent = n ? n + " selected" : "";
    if (all) {
      all.checked = total > 0 && n === total;
      all.indeterminate = n > 0 && n < total;
    }
  }
  // setAll ticks or clears every row.
  function setAll(on) {
    boxes().forEach(function (b) { b.checked = on; });
    countSelected();
  }
  function toggleAll() {
    var bs = boxes();
    setAll(!bs.every(function (b) { return b.checked; }));
  }
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.matches && t.matches("[data-bulk-all]")) { setAll(t.checked); return; }
    if (t.closest && t.closest("[data-bulk-row]")) countSelected();
  });
  // Shift-click ticks (or clears) every row between the last box clicked
  // and this one, as the clicked box now is.
  var lastBox = null;
  document.addEventListener("click", function (evt) {
    var box = evt.target;
    if (!box.matches || !box.matches('[data-bulk-row] input[type="checkbox"]')) return;
    if (evt.shiftKey && lastBox && lastBox !== box && document.contains(lastBox)) {
      var bs = boxes(), a = bs.indexOf(lastBox), b = bs.indexOf(box);
      if (a >= 0 && b >= 0) {
        for (var i = Math.min(a, b); i <= Math.max(a, b); i++) bs[i].checked = box.checked;
        countSelected();
      }
    }
    lastBox = box;
  });

  // --- Keys --------------------------------------------------------------
  document.addEventListener("keydown", function (evt) {
    if (!page() || evt.defaultPrevented || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    var help = document.getElementById("review-help");
    if (help && help.open) return; // the dialog handles Escape itself
    if (typing(evt.target)) return;
    var key = evt.key, m = mode();
    if (key === "?") {
      evt.preventDefault();
      openHelp();
      return;
    }
    if (m === "adjudication") {
      adjudicationKey(evt, key);
      return;
    }
    if (m === "bulk" && (key === "j" || key === "k" || key === "x" || key === "a")) {
      evt.preventDefault();
      if (key === "x") toggleRow();
      else if (key === "a") toggleAll();
      else moveRow(key === "j" ? 1 : -1);
      return;
    }
    var el = shortcut(key);
    if (!el) return;
    evt.preventDefault();
    if (busy) return;
    el.click();
    // "None of these" opens its reason field: type it, Enter sends.
    if (el.tagName === "SUMMARY" && el.parentElement.open) {
      var reason = el.parentElement.querySelector("input[name=why]");
      if (reason) reason.focus();
    }
  });

  // --- Adjudication -------------------------------------------------------
  // j/k move between disputed items (focus on the title); 1–9 settle the
  // item with focus in it, or the first, as that option.
  function disputes() { return Array.prototype.slice.call(document.querySelectorAll("#adjudication [data-dispute]")); }
  function currentDispute() {
    var a = document.activeElement;
    return (a && a.closest && a.closest("[data-dispute]")) || disputes()[0] || null;
  }
  function adjudicationKey(evt, key) {
    var all = disputes();
    if (!all.length) return;
    if (key === "j" || key === "k") {
      evt.preventDefault();
      var i = all.indexOf(currentDispute());
      var a = document.activeElement;
      var inside = a && a.closest && a.closest("[data-dispute]");
      i = !inside ? 0 : Math.min(Math.max(i + (key === "j" ? 1 : -1), 0), all.length - 1);
      var head = all[i].querySelector("[data-dispute-head]");
      if (head) { head.focus(); all[i].scrollIntoView({ block: "nearest" }); }
      return;
    }
    if (!/^[1-9]$/.test(key)) return;
    var d = currentDispute();
    var btn = d && d.querySelector('[data-settle-key="' + key + '"]');
    if (!btn) return;
    evt.preventDefault();
    if (busy) return;
    btn.click();
  }

  // --- Requests, errors and focus ----------------------------------------
  function flash(text) {
    var f = document.getElementById("review-flash");
    if (f) f.textContent = text;
  }

  // serverMessage pulls the reason out of an error response: the HTML
  // error page's message, or a JSON error's.
  function serverMessage(xhr) {
    var body = xhr.responseText || "";
    try {
      var j = JSON.parse(body);
      if (j && j.error && j.error.message) return j.error.message;
    } catch (e) { /* not JSON */ }
    var doc = new DOMParser().parseFromString(body, "text/html");
    var m = doc.querySelector('[data-testid="error-message"]');
    return m ? m.textContent : xhr.statusText;
  }

  // busy lasts until the swapped content has settled: htmx wires up new
  // forms only then, and a key pressed before would post a form the old
  // way. A request that swaps nothing frees the keys when it ends.
  // The forms swap with settle:0ms, so that is within the request's
  // handling; aria-busy tells assistive technology (and tests) to wait.
  var swapped = false;
  function setBusy(on) {
    busy = on;
    var els = document.querySelectorAll(regions);
    for (var i = 0; i < els.length; i++) {
      if (on) els[i].setAttribute("aria-busy", "true");
      else els[i].removeAttribute("aria-busy");
    }
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (!inRegion(evt.detail.elt)) return;
    setBusy(true);
    swapped = false;
    var row = currentRow();
    bulkFocusID = row ? row.getAttribute("data-item-id") : null;
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (inRegion(evt.detail.target)) swapped = true;
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (!inRegion(evt.detail.elt)) return;
    if (!swapped) setBusy(false);
    if (evt.detail.successful) flash("");
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (!inRegion(evt.detail.target)) return;
    setBusy(false);
    countSelected();
    tickLease();
    focusWorkspace();
  });

  // A 409, 422 or 404 comes with the page's own rendering of the problem:
  // swap it in like a success, so the reason shows beside the item.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var s = evt.detail.xhr.status;
    if (!inRegion(evt.detail.elt)) return;
    if (s === 409 || s === 422 || s === 404) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    if (!inRegion(evt.detail.elt)) return;
    var xhr = evt.detail.xhr;
    if (xhr.status === 401) return; // HX-Redirect takes the user to log in
    flash("That did not work (" + xhr.status + "): " + serverMessage(xhr));
  });
  document.addEventListener("htmx:sendError", function (evt) {
    if (!inRegion(evt.detail.elt)) return;
    setBusy(false);
    flash("The server did not answer; nothing was saved. Check the connection and try again.");
  });

  // focusWorkspace puts focus where the reviewer works after a swap: on
  // an error if there is one, else the item, else the bulk row they were
  // on. console.js only rescues focus lost to <body> at swap time; this
  // runs once the new content has settled and is wired up.
  function focusWorkspace() {
    var err = document.querySelector("[data-review-error]");
    if (err && inRegion(err)) { err.focus({ preventScroll: false }); return; }
    if (mode() === "bulk") {
      var row = bulkFocusID && document.querySelector('[data-bulk-row][data-item-id="' + bulkFocusID + '"]');
      focusRow(row || rows()[0]);
      if (!rows().length) {
        var empty = document.querySelector("#review-bulk [data-focus-first]");
        if (empty) empty.focus();
      }
      return;
    }
    var target = document.querySelector("#review-workspace [data-focus-first], #adjudication [data-focus-first]");
    if (target) target.focus({ preventScroll: false });
  }

  // --- Lease countdown ---------------------------------------------------
  // The server renders the seconds left when it sent the page; counting
  // from there, not from the server's clock time, keeps a browser with a
  // wrong clock honest.
  function tickLease() {
    var el = document.querySelector("[data-lease-seconds]");
    if (!el) return;
    if (!el.dataset.leaseDeadline) {
      el.dataset.leaseDeadline = String(Date.now() + 1000 * Number(el.getAttribute("data-lease-seconds")));
    }
    var left = Math.round((Number(el.dataset.leaseDeadline) - Date.now()) / 1000);
    var text = el.querySelector("[data-lease-text]");
    var reclaim = el.querySelector("[data-lease-reclaim]");
    if (left > 0) {
      var m = Math.floor(left / 60), s = left % 60;
      text.textContent = "Yours for " + m + ":" + (s < 10 ? "0" : "") + s + ".";
      return;
    }
    if (el.classList.contains("expired")) return;
    el.classList.add("expired");
    el.setAttribute("role", "alert");
    text.textContent = "Your lease on this item ran out: another reviewer may take it.";
    if (reclaim) reclaim.hidden = false;
  }
  setInterval(tickLease, 1000);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tickLease);
  else tickLease();
})();
