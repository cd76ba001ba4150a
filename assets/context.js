/* The navigation keeps the view (issue 15 item 7). The Overview's filters rewrite its
   address without a reload, which Dash's router (and so the shell's callback that
   rewrites the nav, dashboard/app.py) never hears of; this follows the new address in
   the browser, without a request: each nav link keeps its page and takes the address's
   context (the parameters dashboard/params/context.py names, handed over in a store),
   and the language switch takes the whole address with only `lang` changed.
   Served from this origin (no inline script under the CSP). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  context: {
    follow: function (search, hrefs, switchHref, target, carried) {
      var here = new URLSearchParams(search || "");
      var keep = new URLSearchParams();
      var lang = null;
      here.forEach(function (value, key) {
        if (key === "lang") {
          lang = value;
        } else if ((carried || []).indexOf(key) >= 0) {
          keep.append(key, value);
        }
      });
      if (lang !== null && (carried || []).indexOf("lang") >= 0) {
        keep.append("lang", lang);  // last, as the pages write it
      }
      var query = keep.toString();
      var nav = (hrefs || []).map(function (href) {
        var url = new URL(href || "/", window.location.href);
        return url.pathname + (query ? "?" + query : "");
      });
      var other = new URLSearchParams(search || "");
      other.delete("lang");
      if (target && target !== "en") {
        other.append("lang", target);
      }
      var switchUrl = new URL(switchHref || window.location.href, window.location.href);
      var rest = other.toString();
      return [nav, switchUrl.pathname + (rest ? "?" + rest : "")];
    }
  }
});
