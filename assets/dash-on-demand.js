/* Start Dash when the reader needs it (issue 18; docs/architecture.md "The first view is sent as HTML").

   The page arrives whole as HTML (dashboard/first_view.py): the headline, the cards and
   the tables need no script. Dash's scripts (React, the renderer, its components:
   about 1 MB of JavaScript to parse and run, seconds of a phone's CPU) are what make the
   controls work and draw the charts, so they start when either is needed:

   - a chart's frame comes within 200 px of the screen (on a desktop the first chart is
     usually in view at once, so Dash starts with the page; on a phone, when the reader
     scrolls towards it);
   - the reader touches the screen, moves the mouse, scrolls with a wheel, presses a
     key or focuses anything on the page (a tap on a control that is still drawn
     disabled counts: browsers send pointerdown and touchstart for it).

   The scripts are the ones Dash would have linked, in its order (kept inert in the
   <template id="dash-deferred-scripts"> dashboard/first_view.py writes); the renderer
   starts after the last, as Dash's own inline starter would.

   The swap: the first view stays on screen, and keeps the keyboard focus, while Dash
   draws the same page in a new, invisible react-entry-point laid over it (Dash shows
   "Loading..." until its layout arrives: the reader never sees that). Once the page and
   its charts are drawn there, the first view goes and the live page shows in its place,
   with the sections the reader opened still open; the element that had the focus
   gives it to its live twin (same id, else same place among the focusable elements). Served from this origin: no inline script under the CSP. */
(function () {
  "use strict";
  var ENTRY = "react-entry-point";
  var FIRST_VIEW = "first-view";
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  var EVENTS = ["pointerdown", "touchstart", "mousemove", "wheel", "keydown", "focusin"];
  var started = false;
  var chartWatch = null;

  function focusKey(view) {
    var el = document.activeElement;
    if (!el || !view.contains(el)) { return null; }
    if (el.id) { return { id: el.id }; }
    return { index: Array.prototype.indexOf.call(view.querySelectorAll(FOCUSABLE), el) };
  }

  function restoreFocus(key, live) {
    if (!key) { return; }
    var el = key.id ? document.getElementById(key.id) : live.querySelectorAll(FOCUSABLE)[key.index];
    if (el && typeof el.focus === "function") { el.focus({ preventScroll: true }); }
  }

  /* Dash has drawn the page: React made the elements, nothing says "Loading...", and
     the page container has the page in it. */
  function pageDrawn(live) {
    var first = live.firstElementChild;
    if (!first || !Object.keys(first).some(function (k) { return k.indexOf("__react") === 0; })) { return false; }
    if (live.querySelector("._dash-loading")) { return false; }
    var content = live.querySelector("#_pages_content");
    return !content || content.childElementCount > 0;
  }

  /* ...and every chart on it (not hidden) is drawn: the swap then changes no height. */
  function chartsDrawn(live) {
    return Array.prototype.every.call(live.querySelectorAll(".dash-graph"), function (graph) {
      return graph.offsetParent === null || graph.querySelector(".main-svg") !== null;
    });
  }

  /* A section the reader opened (or closed) in the first view stays so. */
  function keepOpenSections(view, live) {
    var before = view.querySelectorAll("details");
    var after = live.querySelectorAll("details");
    if (before.length !== after.length) { return; }
    Array.prototype.forEach.call(before, function (details, i) { after[i].open = details.open; });
  }

  function swapWhenDrawn(view, live) {
    var swapped = false;
    var late = null;
    function swap() {
      if (swapped) { return; }
      swapped = true;
      observer.disconnect();
      clearTimeout(late);
      var key = focusKey(view);
      keepOpenSections(view, live);
      view.remove();
      live.removeAttribute("style");
      restoreFocus(key, live);
    }
    var observer = new MutationObserver(function () {
      if (!pageDrawn(live)) { return; }
      // A chart that never draws (plotly.js failed to load) must not keep the
      // controls from the reader: the page goes live 10 s after it was drawn.
      if (late === null) { late = setTimeout(swap, 10000); }
      if (chartsDrawn(live)) { swap(); }
    });
    observer.observe(live, { childList: true, subtree: true });
  }

  function load(tags, done) {
    // External scripts: async=false runs inserted scripts in insertion order. Dash's
    // inline ones (clientside callbacks: each only adds a function to
    // window.dash_clientside) run as inserted; the CSP allows them by their hashes,
    // which do not depend on how they were inserted. The renderer starts after the last.
    var external = tags.filter(function (tag) { return tag.src; });
    tags.forEach(function (tag) {
      if (tag.id === "_dash-renderer") { return; }
      var script = document.createElement("script");
      if (tag.src) {
        script.src = tag.src;
        script.async = false;
        if (tag === external[external.length - 1]) { script.onload = done; }
      } else {
        script.textContent = tag.textContent;
      }
      document.body.appendChild(script);
    });
  }

  function start() {
    if (started) { return; }
    started = true;
    EVENTS.forEach(function (name) { window.removeEventListener(name, start, true); });
    if (chartWatch) { chartWatch.disconnect(); }
    var view = document.getElementById(ENTRY);
    // Dash renders into the element with the entry id: a new one, invisible but laid
    // out where the first view is (charts measure their real width), over it.
    view.id = FIRST_VIEW;
    var live = document.createElement("div");
    live.id = ENTRY;
    var top = view.getBoundingClientRect().top + window.scrollY;
    live.style.cssText = "position:absolute;left:0;right:0;top:" + top + "px;visibility:hidden";
    view.after(live);
    swapWhenDrawn(view, live);
    var template = document.getElementById("dash-deferred-scripts");
    var tags = template ? Array.prototype.slice.call(template.content.querySelectorAll("script")) : [];
    load(tags, function () { window.renderer = new window.DashRenderer(); });
  }

  function listen() {
    EVENTS.forEach(function (name) { window.addEventListener(name, start, { capture: true, passive: true }); });
    var charts = document.querySelectorAll("#" + ENTRY + " .dash-graph");
    if (!("IntersectionObserver" in window)) { start(); return; }
    chartWatch = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { start(); }
    }, { rootMargin: "200px 0px" });
    Array.prototype.forEach.call(charts, function (chart) { chartWatch.observe(chart); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", listen);
  } else {
    listen();
  }
}());
