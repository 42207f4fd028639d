// Charts of the report pages, drawn with the vendored Chart.js (static/vendor/chartjs).
//
// A chart is a <canvas data-chart="ID"> whose figures sit in <script type="application/json" id="ID">
// (Django's json_script: data, never code, so the page needs no inline script). Charts are drawn when the
// page loads and whenever htmx swaps content in, and destroyed before htmx swaps them out, so a report
// refreshed a hundred times holds no stale Chart objects, listeners or resize observers.
(function () {
  "use strict";

  var PHONE = window.matchMedia("(max-width: 600px)");
  // Numbers as the page's language writes them (<html lang>: "12 %", "1.250 €"); the words come from the server.
  var LANG = document.documentElement.lang || undefined;

  function number(value, data) {
    if (value === null || value === undefined) return "—";
    try {
      if (data.percent) return new Intl.NumberFormat(LANG, {style: "percent", maximumFractionDigits: 1}).format(value / 100);
      if (data.currency) {
        return new Intl.NumberFormat(LANG, {style: "currency", currency: data.currency, maximumFractionDigits: 0}).format(value);
      }
      return new Intl.NumberFormat(LANG).format(value);
    } catch (e) {  // an unknown language or currency code
      return String(value) + (data.percent ? "%" : data.currency ? " " + data.currency : "");
    }
  }

  function config(data) {
    var phone = PHONE.matches;
    var hasRight = data.datasets.some(function (d) { return d.axis === "y2"; });
    var datasets = data.datasets.map(function (d) {
      var line = (d.type || data.type) === "line";
      return {
        label: d.label,
        data: d.data,
        type: d.type || data.type,
        yAxisID: d.axis || "y",
        backgroundColor: line ? d.color + "33" : d.color,
        borderColor: d.color,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? (phone ? 1.5 : 2.5) : 0,
        spanGaps: true,  // a week without a meeting leaves a gap in the data, not a drop to zero
        tension: 0.25,
        stack: data.stacked && !line ? "stack" : undefined,
        order: line ? 0 : 1,  // lines drawn over bars
      };
    });
    var scales = {
      x: {stacked: !!data.stacked, ticks: {maxRotation: 0, autoSkip: true, autoSkipPadding: phone ? 12 : 8}},
      y: {
        stacked: !!data.stacked,
        beginAtZero: true,
        suggestedMax: data.percent ? 100 : undefined,
        ticks: {precision: 0, callback: function (v) { return number(v, data); }},
      },
    };
    if (hasRight) {
      scales.y2 = {position: "right", beginAtZero: true, grid: {drawOnChartArea: false}, ticks: {precision: 0}};
    }
    return {
      type: data.type,
      data: {labels: data.labels, datasets: datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,  // the box's height comes from reports.css, per screen size
        animation: false,
        interaction: {mode: "index", intersect: false},
        plugins: {
          legend: {display: datasets.length > 1, position: "bottom", labels: {boxWidth: 12}},
          tooltip: {callbacks: {label: function (ctx) { return ctx.dataset.label + ": " + number(ctx.parsed.y, data); }}},
        },
        scales: scales,
      },
    };
  }

  function canvases(root) {
    if (!root || !root.querySelectorAll) return [];
    var found = Array.prototype.slice.call(root.querySelectorAll("canvas[data-chart]"));
    if (root.matches && root.matches("canvas[data-chart]")) found.push(root);
    return found;
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") return;
    canvases(root).forEach(function (canvas) {
      if (window.Chart.getChart(canvas)) return;  // drawn already
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) return;
      new window.Chart(canvas, config(JSON.parse(source.textContent)));
    });
  }

  function destroy(root) {
    if (typeof window.Chart === "undefined") return;
    canvases(root).forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(draw);  // the page at load, and every piece of content htmx swaps in
  } else {
    document.addEventListener("DOMContentLoaded", function () { draw(document.body); });
  }
  // Before htmx replaces content, the charts inside it go: the target of an innerHTML swap, the element
  // itself for outerHTML, and anything htmx cleans up on its own.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.shouldSwap) destroy(event.detail.target);  // an error left unswapped keeps its charts
  });
  document.addEventListener("htmx:beforeCleanupElement", function (event) { destroy(event.detail.elt || event.target); });

  // A printout shows every chart's data table too, and charts sized for the paper.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.slice.call(document.querySelectorAll("details.chart-data:not([open])"));
    opened.forEach(function (d) { d.open = true; });
    if (window.Chart) Object.values(window.Chart.instances).forEach(function (c) { c.resize(); });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
    if (window.Chart) Object.values(window.Chart.instances).forEach(function (c) { c.resize(); });
  });

  // Tests and the curious can count live charts (none must outlive a swap).
  window.leadsgroupsCharts = {
    count: function () { return window.Chart ? Object.keys(window.Chart.instances).length : 0; },
  };
})();
