// What every ECharts page script shares: the house colours, a resize observer that keeps each
// chart the size of its box (stacked on a phone, side by side on a desk) and HTML escaping for
// tooltips built from data. Loaded (deferred) before the page's own script.
(function () {
  "use strict";

  var resizer = window.ResizeObserver
    ? new ResizeObserver(function (entries) {
        entries.forEach(function (entry) {
          var chart = window.echarts.getInstanceByDom(entry.target);
          if (chart) chart.resize();
        });
      })
    : null;

  window.flexCharts = {
    INK: "#1f2933",
    MUTED: "#616e7c",
    LINE: "#d9e2ec",
    resizer: resizer,
    esc: function (text) {
      return String(text).replace(/[&<>"']/g, function (c) {
        return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
      });
    },
  };
})();
