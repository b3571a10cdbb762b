// The satisfaction dashboard's charts (dashboards/templates/dashboards/satisfaction.html): per
// week, CSAT and its response rate (%) in one chart, NPS (points) in the other. Data and
// translated labels come from the #satisfaction-data blob; no inline scripts (CSP). A week with
// too few answers is null: the line breaks there instead of showing a number.
(function () {
  "use strict";

  var MUTED = window.flexCharts.MUTED, LINE = window.flexCharts.LINE;
  var esc = window.flexCharts.esc;
  var CSAT = "#0b6e4f", RATE = "#1d4ed8", NPS = "#b45309";
  var resizer = window.flexCharts.resizer;

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  // "2026-11-23" → "11-23": the year is in the filter bar.
  function shortDay(iso) {
    return iso.slice(5);
  }

  function line(name, values, color, showSymbol) {
    return {
      name: name, type: "line", data: values, smooth: false, connectNulls: false,
      showSymbol: showSymbol, symbolSize: 6,
      lineStyle: { width: 2, color: color }, itemStyle: { color: color }
    };
  }

  // A tooltip that says "–" for a hidden week rather than leaving the series out.
  function tooltip(data) {
    return {
      trigger: "axis", confine: true,
      formatter: function (points) {
        if (!points.length) return "";
        var head = esc(data.labels.week.replace("%(day)s", points[0].axisValue));
        return head + points.map(function (p) {
          var value = p.value === null || p.value === undefined ? "–" : p.value;
          return "<br>" + p.marker + esc(p.seriesName) + ": " + esc(value);
        }).join("");
      }
    };
  }

  function base(data, narrow, legend) {
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: tooltip(data),
      legend: { top: 0, data: legend, textStyle: { color: MUTED } },
      // The last week's label sits on the right edge: room for half of it.
      grid: { left: narrow ? 4 : 12, right: narrow ? 18 : 24, top: 32, bottom: 8, containLabel: true },
      xAxis: {
        type: "category", boundaryGap: false, data: data.weeks,
        axisLabel: { color: MUTED, hideOverlap: true, fontSize: narrow ? 10 : 12, formatter: shortDay },
        axisLine: { lineStyle: { color: LINE } }
      }
    };
  }

  function csatOption(data, narrow) {
    var L = data.labels, option = base(data, narrow, [L.csat, L.rate]);
    var symbols = data.weeks.length <= 26;
    option.yAxis = {
      type: "value", min: 0, max: 100,
      axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12 },
      splitLine: { lineStyle: { color: LINE } }
    };
    option.series = [line(L.csat, data.csat, CSAT, symbols), line(L.rate, data.rate, RATE, symbols)];
    return option;
  }

  function npsOption(data, narrow) {
    var L = data.labels, option = base(data, narrow, [L.nps]);
    option.yAxis = {
      type: "value", min: -100, max: 100,
      axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12 },
      splitLine: { lineStyle: { color: LINE } }
    };
    var series = line(L.nps, data.nps, NPS, data.weeks.length <= 26);
    series.markLine = { silent: true, symbol: "none", data: [{ yAxis: 0 }], lineStyle: { color: MUTED, type: "dashed" }, label: { show: false } };
    option.series = [series];
    return option;
  }

  function draw(el, option) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption(option, true);
    if (resizer) {
      resizer.observe(el);
    } else {
      window.addEventListener("resize", function () { chart.resize(); });
    }
  }

  function render() {
    if (!window.echarts) return;
    var source = document.getElementById("satisfaction-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var options = { csat: csatOption, nps: npsOption };
    Object.keys(options).forEach(function (key) {
      var el = document.querySelector('[data-satisfaction-chart="' + key + '"]');
      if (el) draw(el, options[key](data, el.clientWidth < 520));
    });
  }

  document.addEventListener("DOMContentLoaded", render);
})();
