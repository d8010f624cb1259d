// The portal's own behaviour: small, progressive, no inline handlers (the
// Content-Security-Policy forbids them).
(function () {
  "use strict";
  var KEY = "ciam.sidebar.collapsed";
  // The lg breakpoint of the stylesheet: from here the navigation is a
  // column (collapsible to a rail), below it a drawer.
  var WIDE = window.matchMedia("(min-width: 1024px)");
  var root = document.documentElement;

  function toggleButton() { return document.getElementById("sidebar-toggle"); }

  // syncToggle says on the toggle what it controls at this width: on a
  // wide screen whether the column is expanded, on a small one whether the
  // drawer is open.
  function syncToggle() {
    var btn = toggleButton();
    if (!btn) return;
    var expanded = WIDE.matches ? !root.classList.contains("sidebar-collapsed") : root.classList.contains("drawer-open");
    btn.setAttribute("aria-expanded", String(expanded));
  }

  function applySidebar(collapsed) {
    root.classList.toggle("sidebar-collapsed", collapsed);
    syncToggle();
  }

  function setDrawer(open, returnFocus) {
    root.classList.toggle("drawer-open", open);
    var backdrop = document.getElementById("sidebar-backdrop");
    if (backdrop) backdrop.hidden = !open;
    syncToggle();
    if (open) {
      var first = document.querySelector("#sidebar a, #sidebar button");
      if (first) first.focus();
    } else if (returnFocus) {
      var btn = toggleButton();
      if (btn) btn.focus();
    }
  }

  function isTyping(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  document.addEventListener("DOMContentLoaded", function () {
    applySidebar(localStorage.getItem(KEY) === "1");
    var btn = toggleButton();
    if (btn) {
      btn.addEventListener("click", function () {
        if (!WIDE.matches) {
          setDrawer(!root.classList.contains("drawer-open"), false);
          return;
        }
        var collapsed = !root.classList.contains("sidebar-collapsed");
        localStorage.setItem(KEY, collapsed ? "1" : "0");
        applySidebar(collapsed);
      });
    }
    var close = document.getElementById("drawer-close");
    if (close) close.addEventListener("click", function () { setDrawer(false, true); });
    var backdrop = document.getElementById("sidebar-backdrop");
    if (backdrop) backdrop.addEventListener("click", function () { setDrawer(false, true); });
  });

  // Growing past the breakpoint closes the drawer: the column takes over.
  WIDE.addEventListener("change", function () {
    if (WIDE.matches && root.classList.contains("drawer-open")) setDrawer(false, false);
    syncToggle();
  });

  // Escape closes the drawer and gives the focus back to its toggle; Tab
  // stays inside the open drawer.
  document.addEventListener("keydown", function (e) {
    if (!root.classList.contains("drawer-open")) return;
    if (e.key === "Escape") {
      e.preventDefault();
      setDrawer(false, true);
      return;
    }
    if (e.key !== "Tab") return;
    var items = Array.prototype.slice.call(document.querySelectorAll("#sidebar a, #sidebar button"));
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
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

  // The document viewer: zoom, rotate and fit an image with the toolbar
  // buttons (data-viewer-action) or the keys + - 0 (fit) r R (rotate).
  // Whole class names are listed so the stylesheet keeps them.
  var ZOOMS = ["viewer-zoom-50", "viewer-zoom-75", "viewer-zoom-100", "viewer-zoom-150", "viewer-zoom-200", "viewer-zoom-300", "viewer-zoom-400"];
  var ROTATIONS = ["", "viewer-rot-90", "viewer-rot-180", "viewer-rot-270"];

  function viewerState(img) {
    var zoom = -1, rot = 0;
    ZOOMS.forEach(function (c, i) { if (img.classList.contains(c)) zoom = i; });
    ROTATIONS.forEach(function (c, i) { if (c && img.classList.contains(c)) rot = i; });
    return { zoom: zoom, rot: rot };
  }

  function viewerApply(img, st) {
    ZOOMS.forEach(function (c) { img.classList.remove(c); });
    ROTATIONS.forEach(function (c) { if (c) img.classList.remove(c); });
    img.classList.toggle("viewer-fit", st.zoom < 0);
    if (st.zoom >= 0) img.classList.add(ZOOMS[st.zoom]);
    if (ROTATIONS[st.rot]) img.classList.add(ROTATIONS[st.rot]);
    var out = document.querySelector("[data-viewer-zoom]");
    if (out) out.textContent = st.zoom < 0 ? "Fit" : ZOOMS[st.zoom].replace("viewer-zoom-", "") + " %";
    var rotOut = document.querySelector("[data-viewer-rotation]");
    if (rotOut) rotOut.textContent = (st.rot * 90) + "°";
  }

  function viewerAct(action) {
    var img = document.querySelector("[data-viewer-img]");
    if (!img) return false;
    var st = viewerState(img);
    var fitIndex = 2; // zooming from "fit" starts at the frame's width
    switch (action) {
      case "zoom-in": st.zoom = st.zoom < 0 ? fitIndex + 1 : Math.min(st.zoom + 1, ZOOMS.length - 1); break;
      case "zoom-out": st.zoom = st.zoom < 0 ? fitIndex - 1 : Math.max(st.zoom - 1, 0); break;
      case "fit": st.zoom = -1; break;
      case "rotate-right": st.rot = (st.rot + 1) % 4; break;
      case "rotate-left": st.rot = (st.rot + 3) % 4; break;
      default: return false;
    }
    viewerApply(img, st);
    return true;
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-viewer-action]");
    if (btn && viewerAct(btn.getAttribute("data-viewer-action"))) e.preventDefault();
  });

  document.addEventListener("keydown", function (e) {
    if (e.metaKey || e.ctrlKey || e.altKey || isTyping(document.activeElement)) return;
    var keys = { "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "0": "fit", "r": "rotate-right", "R": "rotate-left" };
    if (keys[e.key] && viewerAct(keys[e.key])) e.preventDefault();
  });

  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("submit", function (e) {
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);
})();
