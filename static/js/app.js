// The portal's own behaviour: small, progressive, no inline handlers (the
// Content-Security-Policy forbids them).
(function () {
  "use strict";
  var KEY = "ciam.sidebar.collapsed";

  function applySidebar(collapsed) {
    document.documentElement.classList.toggle("sidebar-collapsed", collapsed);
    var btn = document.getElementById("sidebar-toggle");
    if (btn) btn.setAttribute("aria-expanded", String(!collapsed));
  }

  function isTyping(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  document.addEventListener("DOMContentLoaded", function () {
    applySidebar(localStorage.getItem(KEY) === "1");
    var btn = document.getElementById("sidebar-toggle");
    if (btn) {
      btn.addEventListener("click", function () {
        var collapsed = !document.documentElement.classList.contains("sidebar-collapsed");
        localStorage.setItem(KEY, collapsed ? "1" : "0");
        applySidebar(collapsed);
      });
    }
  });

  // Keyboard: "/" focuses the search box; in lists marked data-keynav,
  // j and k move between rows and Enter opens the current one. From a
  // search box marked data-keynav-entry, the down arrow enters the list.
  document.addEventListener("keydown", function (e) {
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    var active = document.activeElement;
    if (e.key === "ArrowDown" && active && active.hasAttribute("data-keynav-entry")) {
      var first = document.querySelector("[data-keynav] [data-keynav-row]");
      if (first) { e.preventDefault(); first.focus(); }
      return;
    }
    if (isTyping(active)) return;
    if (e.key === "/") {
      var s = document.getElementById("global-search");
      if (s) { e.preventDefault(); s.focus(); }
      return;
    }
    var list = document.querySelector("[data-keynav]");
    if (!list) return;
    var rows = Array.prototype.slice.call(list.querySelectorAll("[data-keynav-row]"));
    if (!rows.length) return;
    var i = rows.indexOf(document.activeElement);
    if (e.key === "j") { e.preventDefault(); rows[Math.min(i + 1, rows.length - 1)].focus(); }
    if (e.key === "k") { e.preventDefault(); rows[Math.max(i - 1, 0)].focus(); }
  });

  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("submit", function (e) {
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);
})();
