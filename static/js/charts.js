/* Draws every <canvas data-wx-chart="ID"> from the JSON in <script id="ID" type="application/json"> (written by
   templates/includes/chart.html from wenxin.charts.Chart). No inline script: the page only carries data. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }

  var PALETTE = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0"];

  function format(value, unit) {
    if (value === null || value === undefined) {
      return "—";
    }
    return value.toLocaleString(document.documentElement.lang || undefined) + (unit || "");
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.wxChart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var box = canvas.parentElement;
    var count = spec.labels.length;
    // A horizontal bar chart grows with its rows, so forty workers stay readable on a phone.
    if (spec.horizontal) {
      box.style.height = Math.max(160, 28 * count * (spec.stacked ? 1 : Math.max(1, spec.series.length)) + 60) + "px";
    } else {
      box.style.height = (window.innerWidth < 576 ? 240 : 300) + "px";
    }
    var doughnut = spec.kind === "doughnut";
    var datasets = spec.series.map(function (series) {
      return {
        label: series.label,
        data: series.values,
        // A doughnut's slices are the categories, each a colour of its own.
        backgroundColor: doughnut
          ? series.values.map(function (_value, i) { return PALETTE[i % PALETTE.length]; })
          : series.color,
        borderColor: series.color,
        fill: false,
        tension: 0.2,
        spanGaps: true,
      };
    });
    var valueAxis = { beginAtZero: true, stacked: spec.stacked, ticks: { precision: 0 } };
    if (spec.max !== null) {
      valueAxis.max = spec.max;
    }
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: { display: spec.series.length > 1 || doughnut, position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = doughnut ? context.parsed : (spec.horizontal ? context.parsed.x : context.parsed.y);
              return (context.dataset.label ? context.dataset.label + ": " : "") + format(value, spec.unit);
            },
          },
        },
      },
    };
    if (!doughnut) {
      var categoryAxis = { stacked: spec.stacked, ticks: { autoSkip: !spec.horizontal } };
      options.scales = spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
    }
    new window.Chart(canvas, { type: spec.kind, data: { labels: spec.labels, datasets: datasets }, options: options });
  }

  document.querySelectorAll("canvas[data-wx-chart]").forEach(draw);
})();
