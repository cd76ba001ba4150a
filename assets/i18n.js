/* The language switch (dashboard/app.py): keep its address equal to the page's own
   address with only `lang` changed, so switching language keeps the city, period,
   filters and district. Served from this origin (no inline script under the CSP). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  i18n: {
    switchHref: function (href, target) {
      var url = new URL(href || window.location.href, window.location.href);
      if (target === "en") {
        url.searchParams.delete("lang");
      } else {
        url.searchParams.set("lang", target);
      }
      return url.pathname + url.search + url.hash;
    }
  }
});
