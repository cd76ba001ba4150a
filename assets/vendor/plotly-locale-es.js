/* Spanish dates for plotly.js charts (month and day names in axis ticks and hover).
   Derived from plotly.js-locales 3.7.0 `es.js` (MIT, (c) Plotly, Inc.): the same
   dictionary entries this dashboard shows (the PNG button) and date names, with the
   number separators of US Spanish (1,234.5), which the dashboard's own text uses
   (dashboard/i18n fmt_int/fmt_pct). Loaded after plotly-basic.min.js (assets load in
   name order). The page's <html lang> (set by the server from ?lang=) picks the locale:
   switching language reloads the page, so this runs once per language. */
(function () {
  var locale = {
    moduleType: "locale",
    name: "es",
    dictionary: {
      "Download plot as a PNG": "Descargar gráfica como PNG",
      "Download plot": "Descargar gráfica",
      "Produced with Plotly.js": "Hecho con Plotly.js"
    },
    format: {
      days: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
      shortDays: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
      months: ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
               "septiembre", "octubre", "noviembre", "diciembre"],
      shortMonths: ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
      // %p in the district heatmap's hour ticks: "3 p. m.", as the catalog's hours read.
      periods: ["a. m.", "p. m."],
      date: "%d/%m/%Y",
      decimal: ".",
      thousands: ","
    }
  };
  if (typeof window.Plotly === "undefined") {
    return;
  }
  window.Plotly.register(locale);
  var lang = (document.documentElement.getAttribute("lang") || "en").slice(0, 2);
  window.Plotly.setPlotConfig({ locale: lang === "es" ? "es" : "en-US" });
})();
