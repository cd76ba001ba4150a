/* Reload a page whose data release was replaced (components/page.py): a callback whose
   page was rendered on releases this server no longer has open sets the page-reload
   store to the page's address, and the page is loaded afresh from the current release
   instead of mixing two. Served from this origin (no inline script under the CSP). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  release: {
    reload: function (href) {
      if (typeof href === "string" && href.charAt(0) === "/") {
        window.location.assign(href);
      }
      return window.dash_clientside.no_update;
    }
  }
});
