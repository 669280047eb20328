// Behaviour for server-rendered pages. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  // Narrow screens hide the navigation behind its Menu button; without this script it stays open.
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (!toggle) { return; }
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", open);
  });

  // Selects marked data-autosubmit submit their form on change. Only for filters that merely
  // narrow a list: a change of context or a saved change needs its own button (WCAG 3.2.2).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });

  // Buttons marked data-confirm ask before submitting.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Buttons marked data-print open the browser's print dialog (the meeting prep sheet).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var PALETTE = ["#3451b2", "#1f8a55", "#c23a3a", "#a86b00"];

  function formatter(kind, unit) {
    var number = new Intl.NumberFormat(undefined, { maximumFractionDigits: kind === "percent" ? 1 : 0 });
    return function (value) {
      if (value === null || value === undefined) { return "—"; }
      return kind === "percent" ? number.format(value) + "%" : number.format(value) + (unit ? " " + unit : "");
    };
  }

  // <canvas data-line-chart="ID"> draws the chart described by <script type="application/json" id="ID">:
  // {"labels": [...], "series": [{"label": ..., "values": [...]}], "format": "money"|"percent",
  //  "unit": "USD", "stepped": true|false}; with "type": "bar" (and "stacked") it draws bars.
  function drawLineCharts() {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-line-chart]").forEach(function (canvas) {
      var spec = readJson(canvas.getAttribute("data-line-chart"));
      if (!spec) { return; }
      var format = formatter(spec.format, spec.unit);
      var bars = spec.type === "bar";
      new window.Chart(canvas, {
        type: bars ? "bar" : "line",
        data: {
          labels: spec.labels,
          datasets: spec.series.map(function (series, index) {
            return {
              label: series.label, data: series.values, stepped: !!spec.stepped,
              borderColor: PALETTE[index % PALETTE.length],
              backgroundColor: bars ? PALETTE[index % PALETTE.length] : "rgba(52,81,178,.08)",
              fill: !bars && spec.series.length === 1, pointRadius: 3, borderWidth: 2, spanGaps: false
            };
          })
        },
        options: {
          maintainAspectRatio: false, animation: false,
          plugins: {
            legend: { display: spec.series.length > 1 },
            tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + format(ctx.parsed.y); } } }
          },
          scales: {
            x: { stacked: !!spec.stacked },
            y: { stacked: !!spec.stacked, beginAtZero: bars || spec.format !== "percent", ticks: { callback: format } }
          }
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", drawLineCharts);
})();
