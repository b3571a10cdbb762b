// SERVQUAL charts shared by the wave analysis (static/js/quality.js) and the SERVQUAL dashboard
// (static/js/dashboards_servqual.js): how gaps are written, the interval whiskers of the gap bars
// and the importance–performance grid. Loaded before either; exposes window.flexServqual.
(function () {
  "use strict";

  var INK = window.flexCharts.INK, MUTED = window.flexCharts.MUTED;
  var LINE = window.flexCharts.LINE;
  var resizer = window.flexCharts.resizer;
  var esc = window.flexCharts.esc;

  // "+0.12" / "−0.85", as the tables write gaps.
  function signed(value) {
    if (value === null || value === undefined) return "–";
    var text = Math.abs(value).toFixed(2);
    if (Number(text) === 0) return text;
    return (value > 0 ? "+" : "−") + text;
  }

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  function chartFor(el) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    if (resizer) resizer.observe(el);
    return chart;
  }

  function roundOut(value, step, up) {
    return (up ? Math.ceil(value / step) : Math.floor(value / step)) * step;
  }

  // Whiskers of the gap bars: a custom series whose values are [low, high, row].
  function errorBar(params, api) {
    var low = api.coord([api.value(0), api.value(2)]);
    var high = api.coord([api.value(1), api.value(2)]);
    var cap = Math.max(4, api.size([0, 1])[1] * 0.16);
    var style = { stroke: INK, lineWidth: 1.5 };
    return {
      type: "group",
      children: [
        { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
        { type: "line", shape: { x1: low[0], y1: low[1] - cap, x2: low[0], y2: low[1] + cap }, style: style },
        { type: "line", shape: { x1: high[0], y1: high[1] - cap, x2: high[0], y2: high[1] + cap }, style: style }
      ]
    };
  }

  // --- Importance × performance: dimensions by quadrant, dashed lines at both means. ---------
  function ipaOption(data, narrow) {
    var L = data.labels, ipa = data.ipa, colors = data.colors.quadrants;
    var xs = ipa.points.map(function (p) { return p.x; }).concat([ipa.importance_mean]);
    var ys = ipa.points.map(function (p) { return p.y; }).concat([ipa.performance_mean]);
    var xMin = Math.max(0, roundOut(Math.min.apply(null, xs) - 2, 5, false));
    var xMax = Math.min(100, roundOut(Math.max.apply(null, xs) + 2, 5, true));
    var yMin = Math.max(1, roundOut(Math.min.apply(null, ys) - 0.25, 0.5, false));
    var yMax = Math.min(7, roundOut(Math.max.apply(null, ys) + 0.25, 0.5, true));
    var xMean = ipa.importance_mean, yMean = ipa.performance_mean, Q = L.quadrants;
    var quadrantLabel = { fontSize: narrow ? 10 : 11, fontWeight: "bold" };
    function area(code, x1, y1, x2, y2, position) {
      return [
        { coord: [x1, y1], name: Q[code], itemStyle: { color: colors[code], opacity: 0.05 },
          label: Object.assign({ position: position, color: colors[code] }, quadrantLabel) },
        { coord: [x2, y2] }
      ];
    }
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          var point = ipa.points[p.dataIndex];
          if (!point) return "";
          return "<b>" + esc(point.name) + "</b><br>" + esc(L.importance_short) + ": " +
            point.x.toFixed(1) + "<br>" + esc(L.performance_short) + ": " + point.y.toFixed(2) +
            (point.quadrant ? "<br>" + esc(Q[point.quadrant]) : "");
        }
      },
      grid: { left: narrow ? 8 : 16, right: narrow ? 16 : 28, top: 16, bottom: narrow ? 40 : 44, containLabel: true },
      xAxis: {
        type: "value", min: xMin, max: xMax, name: L.importance, nameLocation: "middle",
        nameGap: 26, nameTextStyle: { color: MUTED, fontSize: narrow ? 11 : 12 },
        axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12, hideOverlap: true },
        splitLine: { show: false }
      },
      yAxis: {
        type: "value", min: yMin, max: yMax, name: narrow ? "" : L.performance_short,
        nameTextStyle: { color: MUTED }, axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12 },
        splitLine: { lineStyle: { color: LINE } }
      },
      series: [{
        type: "scatter",
        symbolSize: narrow ? 11 : 13,
        label: {
          show: true, position: "right", color: INK, fontSize: narrow ? 11 : 12,
          formatter: function (p) { return ipa.points[p.dataIndex].name; }
        },
        labelLayout: { hideOverlap: false, moveOverlap: "shiftY" },
        data: ipa.points.map(function (p) {
          return { value: [p.x, p.y], itemStyle: { color: p.color } };
        }),
        markLine: {
          silent: true, symbol: "none",
          lineStyle: { color: MUTED, type: "dashed", width: 1 },
          label: { show: false },
          data: [{ xAxis: xMean }, { yAxis: yMean }]
        },
        markArea: {
          silent: true,
          data: [
            area("possible_overkill", xMin, yMax, xMean, yMean, "insideTopLeft"),
            area("keep_up", xMean, yMax, xMax, yMean, "insideTopRight"),
            area("low_priority", xMin, yMean, xMean, yMin, "insideBottomLeft"),
            area("concentrate_here", xMean, yMean, xMax, yMin, "insideBottomRight")
          ]
        }
      }]
    };
  }

  window.flexServqual = {
    signed: signed, fontFamily: fontFamily, chartFor: chartFor, roundOut: roundOut,
    errorBar: errorBar, ipaOption: ipaOption
  };
})();
