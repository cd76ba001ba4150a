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

/* Charts are drawn for the screen's width; on paper they would be cut off (the hour grid
   at about 20:00) or run into the next section. When the page is printed, each plot is
   redrawn at once, synchronously, at the size its container has in print (print.css),
   never wider than PRINT_WIDTH: the narrower printable width of A4 (186 mm) and Letter
   (192 mm) at 96 px per inch, so one drawing fits either paper. (Plotly.Plots.resize, used
   before, redraws 100 ms later: after the browser has taken its print snapshot.) Explicit
   width and height also keep Dash's responsive resize from undoing it; both are dropped
   again after printing. The printed address is made absolute here too: the server only
   knows the path. */
(function () {
  var PRINT_WIDTH = 700;
  var printing = false;
  var fit = function (toPrint) {
    if (!window.Plotly || toPrint === printing) {
      return;
    }
    printing = toPrint;
    document.querySelectorAll(".print-url").forEach(function (el) {
      el.textContent = window.location.href;
    });
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      try {
        if (toPrint) {
          var box = (gd.parentElement || gd).getBoundingClientRect();
          var width = Math.min(Math.floor(box.width) || PRINT_WIDTH, PRINT_WIDTH);
          var height = Math.floor(box.height) || gd.offsetHeight;
          window.Plotly.relayout(gd, { autosize: false, width: width, height: height });
        } else {
          window.Plotly.relayout(gd, { autosize: true, width: null, height: null });
        }
      } catch (e) {
        /* a plot being replaced by Dash: nothing to fit */
      }
    });
  };
  window.addEventListener("beforeprint", function () { fit(true); });
  window.addEventListener("afterprint", function () { fit(false); });
  if (window.matchMedia) {
    var query = window.matchMedia("print");
    var onChange = function () { printing = !query.matches; fit(query.matches); };
    if (query.addEventListener) {
      query.addEventListener("change", onChange);
    }
  }
})();
