/* Spanish dates for plotly.js charts (month and day names in axis ticks and hover).
   Derived from plotly.js-locales 3.7.0 `es.js` (MIT, (c) Plotly, Inc.): the same
   dictionary entries this dashboard shows (the PNG button) and date names, with the
   number separators of US Spanish (1,234.5), which the dashboard's own text uses
   (dashboard/i18n fmt_int/fmt_pct). plotly.js loads later, on demand (dashboard/app.py),
   and registers every locale queued in window.PlotlyLocales when it starts; a chart
   on a Spanish page asks for it with config.locale = "es"
   (dashboard/components/chart_table.py graph_config). */
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
      periods: ["a. m.", "p. m."],
      date: "%d/%m/%Y",
      decimal: ".",
      thousands: ","
    }
  };
  if (window.Plotly && window.Plotly.register) {
    window.Plotly.register(locale);
  } else {
    window.PlotlyLocales = (window.PlotlyLocales || []).concat([locale]);
  }
})();
