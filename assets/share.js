/* Copy-link and print buttons (components/share.py). Served from this origin, so the
   Content-Security-Policy needs no inline script. Each function is a Dash clientside
   callback: it gets the button's n_clicks and returns the status text to announce. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  share: {
    copy: function (nClicks, copiedText, failedText) {
      if (!nClicks) {
        return window.dash_clientside.no_update;
      }
      var url = window.location.href;
      var fallback = function () {
        /* No clipboard (insecure origin, permission refused): show the address so it
           can be copied by hand; the status says so. */
        var box = document.getElementById("share-link-box");
        if (box) {
          box.value = url;
          box.classList.remove("d-none");
          box.focus();
          box.select();
        }
        return failedText;
      };
      if (!navigator.clipboard || !window.isSecureContext) {
        return fallback();
      }
      return navigator.clipboard.writeText(url).then(
        function () { return copiedText; },
        fallback
      );
    },
    print: function (nClicks) {
      if (nClicks) {
        window.print();
      }
      return window.dash_clientside.no_update;
    }
  }
});

/* Charts are drawn for the screen's width; on paper they would be cut off. Re-size
   every plot to its container when printing starts and again when it ends. */
(function () {
  var resizeAll = function () {
    if (!window.Plotly) {
      return;
    }
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      try {
        window.Plotly.Plots.resize(gd);
      } catch (e) {
        /* a plot being replaced by Dash: nothing to resize */
      }
    });
  };
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  if (window.matchMedia) {
    var query = window.matchMedia("print");
    if (query.addEventListener) {
      query.addEventListener("change", resizeAll);
    }
  }
})();
