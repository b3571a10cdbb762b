// A survey wave's SERVQUAL charts (quality/templates/quality/_console_results.html): the gap of
// each dimension with its 95 % interval, and importance against performance with the four
// quadrants. Data and translated labels come from the #quality-data blob; no inline scripts
// (CSP). Charts follow their box's size, so they stack on a phone and sit side by side on a desk.
(function () {
  "use strict";

  var INK = window.flexCharts.INK, MUTED = window.flexCharts.MUTED;
  var LINE = window.flexCharts.LINE, BELOW = "#b42318", ABOVE = "#0b6e4f";
  var resizer = window.flexCharts.resizer;

  var esc = window.flexCharts.esc;

  var S = window.flexServqual;
  var signed = S.signed, fontFamily = S.fontFamily, chartFor = S.chartFor, roundOut = S.roundOut;
  var errorBar = S.errorBar, ipaOption = S.ipaOption;

  // --- Gap by dimension: horizontal bars, whiskers for the interval (a custom series). ------
  function gapOption(data, narrow) {
    var L = data.labels, rows = data.gaps;
    var lows = rows.map(function (r) { return r.low === null ? r.mean : r.low; });
    var highs = rows.map(function (r) { return r.high === null ? r.mean : r.high; });
    var min = roundOut(Math.min.apply(null, [0].concat(lows)) - 0.05, 0.5, false);
    var max = roundOut(Math.max.apply(null, [0].concat(highs)) + 0.05, 0.5, true);
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        confine: true,
        formatter: function (params) {
          var row = rows[params[0].dataIndex];
          return "<b>" + esc(row.name) + "</b><br>" + esc(L.gap) + ": " + signed(row.mean) +
            "<br>" + esc(L.interval) + ": " + signed(row.low) + " … " + signed(row.high) +
            "<br>" + esc(L.respondents) + ": " + row.n;
        }
      },
      grid: { left: narrow ? 4 : 12, right: narrow ? 12 : 24, top: 28, bottom: 8, containLabel: true },
      xAxis: {
        type: "value", min: min, max: max, interval: 0.5,
        name: narrow ? "" : L.gap, nameLocation: "middle", nameGap: 0,
        position: "top",
        axisLabel: { color: MUTED, hideOverlap: true, fontSize: narrow ? 10 : 12,
          formatter: function (v) { return v === 0 ? "0" : signed(v).replace(/0$/, "").replace(/\.0?$/, ""); } },
        splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "category", inverse: true,
        data: rows.map(function (r) { return r.name; }),
        axisTick: { show: false },
        axisLine: { onZero: false, lineStyle: { color: LINE } },
        axisLabel: { color: INK, fontSize: narrow ? 12 : 13 }
      },
      series: [
        {
          name: L.gap, type: "bar", barMaxWidth: 26,
          label: {
            show: true, color: INK, fontSize: 11,
            position: "insideBottomLeft",
            formatter: function (p) { return signed(p.value); }
          },
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
          name: L.interval, type: "custom", renderItem: errorBar, z: 5,
          encode: { x: [0, 1], y: 2 },
          data: rows.map(function (r, i) {
            return [r.low === null ? r.mean : r.low, r.high === null ? r.mean : r.high, i];
          })
        }
      ]
    };
  }

  function readData() {
    var source = document.getElementById("quality-data");
    return source ? JSON.parse(source.textContent) : null;
  }

  function render() {
    if (!window.echarts) return;
    var data = readData();
    if (!data) return;
    var gaps = document.querySelector('[data-quality-chart="gaps"]');
    if (gaps && data.gaps.length) {
      chartFor(gaps).setOption(gapOption(data, gaps.clientWidth < 520), true);
    }
    var ipa = document.querySelector('[data-quality-chart="ipa"]');
    if (ipa && data.ipa) chartFor(ipa).setOption(ipaOption(data, ipa.clientWidth < 520), true);
  }

  document.addEventListener("DOMContentLoaded", render);
  if (!resizer) {
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-quality-chart]").forEach(function (el) {
        var chart = window.echarts.getInstanceByDom(el);
        if (chart) chart.resize();
      });
    });
  }
})();
