/* Hide plotly's drawings from assistive technology (components/chart_table.py).

   Every chart sits in a role="figure" box named by one sentence saying what it shows,
   with the same numbers one "Show as table" away. The SVG itself (tick labels, legend
   entries, hover layers, hundreds of shapes) would only be noise to a screen reader, so
   each plotly SVG gets aria-hidden="true" as plotly draws it. The mode bar (a real
   <button>, the camera) is HTML outside the SVGs and stays reachable. Served from this
   origin, so the Content-Security-Policy needs no inline script. */
(function () {
  "use strict";
  var SELECTOR = ".js-plotly-plot svg.main-svg:not([aria-hidden])";

  function hide(root) {
    var found = root.querySelectorAll ? root.querySelectorAll(SELECTOR) : [];
    for (var i = 0; i < found.length; i += 1) {
      found[i].setAttribute("aria-hidden", "true");
      found[i].setAttribute("focusable", "false");
    }
  }

  function start() {
    hide(document);
    /* Mutation records are delivered in one batch per task: one cheap query each. */
    new MutationObserver(function () { hide(document); }).observe(
      document.body, { childList: true, subtree: true }
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
