// The SERVQUAL dashboard's charts (dashboards/templates/dashboards/servqual.html): the gap of each
// dimension with its 95 % interval and the previous wave's gap, and importance against
// performance in four quadrants. Data and translated labels come from the #servqual-data blob; no
// inline scripts (CSP). Charts follow their box's size: stacked on a phone, side by side on a desk.
// Choosing another wave shows it at once.
(function () {
  "use strict";

  var INK = window.flexCharts.INK, MUTED = window.flexCharts.MUTED;
  var LINE = window.flexCharts.LINE, BELOW = "#b42318", ABOVE = "#0b6e4f";
  var resizer = window.flexCharts.resizer, esc = window.flexCharts.esc;

  // "+0.12" / "-0.85", as the tables write gaps.
  function signed(value) {
    if (value === null || value === undefined) return "–";
    var text = Math.abs(value).toFixed(2);
    if (Number(text) === 0) return text;
    return (value > 0 ? "+" : "-") + text;
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

  function present(value, fallback) {
    return value === null || value === undefined ? fallback : value;
  }

  // --- Gap by dimension: horizontal bars, whiskers for the interval, rings for the last wave. --
  function whisker(params, api) {
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

  function gapOption(data, narrow) {
    var L = data.labels, rows = data.gaps;
    var values = [0];
    rows.forEach(function (r) {
      values.push(present(r.low, r.mean), present(r.high, r.mean));
      if (r.before !== null) values.push(r.before);
    });
    var min = roundOut(Math.min.apply(null, values) - 0.05, 0.5, false);
    var max = roundOut(Math.max.apply(null, values) + 0.05, 0.5, true);
    var series = [
      {
        name: L.gap, type: "bar", barMaxWidth: 26,
        label: { show: true, color: INK, fontSize: 11, formatter: function (p) { return signed(p.value); } },
        markLine: { silent: true, symbol: "none", label: { show: false },
          lineStyle: { color: INK, type: "solid", width: 1 }, data: [{ xAxis: 0 }] },
        data: rows.map(function (r) {
          var bad = r.mean < 0;
          return {
            value: r.mean,
            itemStyle: { color: bad ? BELOW : ABOVE, opacity: 0.78 },
            label: { position: bad ? "insideLeft" : "insideRight" }
          };
        })
      },
      {
        name: L.interval, type: "custom", renderItem: whisker, z: 5,
        encode: { x: [0, 1], y: 2 },
        data: rows.map(function (r, i) { return [present(r.low, r.mean), present(r.high, r.mean), i]; })
      }
    ];
    var hasBefore = rows.some(function (r) { return r.before !== null; });
    if (hasBefore) {
      series.push({
        name: L.before, type: "scatter", z: 6, symbol: "circle", symbolSize: narrow ? 9 : 11,
        itemStyle: { color: "#ffffff", borderColor: INK, borderWidth: 2 },
        data: rows
          .map(function (r, i) { return [r.before, i]; })
          .filter(function (point) { return point[0] !== null; })
      });
    }
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      legend: hasBefore ? { bottom: 0, data: [L.before], textStyle: { color: MUTED } } : undefined,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        confine: true,
        formatter: function (params) {
          var row = rows[params[0].dataIndex];
          return "<b>" + esc(row.name) + "</b><br>" + esc(L.gap) + ": " + signed(row.mean) +
            "<br>" + esc(L.interval) + ": " + signed(row.low) + " … " + signed(row.high) +
            (row.before !== null ? "<br>" + esc(L.before) + ": " + signed(row.before) : "") +
            "<br>" + esc(L.respondents) + ": " + row.n;
        }
      },
      grid: { left: narrow ? 4 : 12, right: narrow ? 12 : 24, top: 28, bottom: hasBefore ? 28 : 8, containLabel: true },
      xAxis: {
        type: "value", min: min, max: max, interval: 0.5, position: "top",
        axisLabel: { color: MUTED, hideOverlap: true, fontSize: narrow ? 10 : 12 },
        splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "category", inverse: true,
        data: rows.map(function (r) { return r.name; }),
        axisTick: { show: false },
        axisLine: { onZero: false, lineStyle: { color: LINE } },
        axisLabel: { color: INK, fontSize: narrow ? 12 : 13 }
      },
      series: series
    };
  }

  // --- Importance × performance: dimensions by quadrant, dashed lines at both means. ---------
  function ipaOption(data, narrow) {
    var L = data.labels, ipa = data.ipa, colors = data.colors.quadrants, Q = L.quadrants;
    var xs = ipa.points.map(function (p) { return p.x; }).concat([ipa.importance_mean]);
    var ys = ipa.points.map(function (p) { return p.y; }).concat([ipa.performance_mean]);
    var xMin = Math.max(0, roundOut(Math.min.apply(null, xs) - 2, 5, false));
    var xMax = Math.min(100, roundOut(Math.max.apply(null, xs) + 2, 5, true));
    var yMin = Math.max(1, roundOut(Math.min.apply(null, ys) - 0.25, 0.5, false));
    var yMax = Math.min(7, roundOut(Math.max.apply(null, ys) + 0.25, 0.5, true));
    var xMean = ipa.importance_mean, yMean = ipa.performance_mean;
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
        data: ipa.points.map(function (p) { return { value: [p.x, p.y], itemStyle: { color: p.color } }; }),
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

  function render() {
    var picker = document.querySelector("[data-wave-select]");
    if (picker && picker.form) {
      picker.addEventListener("change", function () { picker.form.submit(); });
    }
    if (!window.echarts) return;
    var source = document.getElementById("servqual-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var gaps = document.querySelector('[data-servqual-chart="gaps"]');
    if (gaps && data.gaps.length) {
      chartFor(gaps).setOption(gapOption(data, gaps.clientWidth < 520), true);
    }
    var ipa = document.querySelector('[data-servqual-chart="ipa"]');
    if (ipa && data.ipa && data.ipa.points.length) {
      chartFor(ipa).setOption(ipaOption(data, ipa.clientWidth < 520), true);
    }
    if (!resizer) {
      window.addEventListener("resize", function () {
        document.querySelectorAll("[data-servqual-chart]").forEach(function (el) {
          var chart = window.echarts.getInstanceByDom(el);
          if (chart) chart.resize();
        });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", render);
})();
