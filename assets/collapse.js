/* The phone's fold-away panels (components/collapse.py). Served from this origin, so the
   Content-Security-Policy needs no inline script. A Dash clientside callback: it gets the
   toggle button's n_clicks and current aria-expanded, and returns the new aria-expanded;
   the CSS (.collapse-panel in app.css) shows or hides the panel from that attribute. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  collapse: {
    toggle: function (nClicks, expanded) {
      if (!nClicks) {
        return window.dash_clientside.no_update;
      }
      return String(expanded) === "true" ? "false" : "true";
    }
  }
});
