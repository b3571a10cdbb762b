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

  var S = window.flexServqual;
  var signed = S.signed, fontFamily = S.fontFamily, chartFor = S.chartFor, roundOut = S.roundOut;
  var whisker = S.errorBar, ipaOption = S.ipaOption;

  function present(value, fallback) {
    return value === null || value === undefined ? fallback : value;
  }

  // --- Gap by dimension: horizontal bars, whiskers for the interval, rings for the last wave. --
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
