// The service dashboard's chart (dashboards/templates/dashboards/service.html): requests created
// and resolved per day, two lines. Data and translated labels come from the #dashboards-data
// blob; no inline scripts (CSP). The chart follows its box's size, so it fits a phone.
(function () {
  "use strict";

  var MUTED = window.flexCharts.MUTED, LINE = window.flexCharts.LINE;
  var CREATED = "#1d4ed8", RESOLVED = "#0b6e4f";
  var resizer = window.flexCharts.resizer;

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  // "2026-11-24" → "11-24": the year is in the filter bar.
  function shortDay(iso) {
    return iso.slice(5);
  }

  function dailyOption(data, narrow) {
    var L = data.labels;
    function line(name, values, color) {
      return {
        name: name, type: "line", data: values, smooth: false,
        showSymbol: data.days.length <= 31, symbolSize: 5,
        lineStyle: { width: 2, color: color }, itemStyle: { color: color }
      };
    }
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0, data: [L.created, L.resolved], textStyle: { color: MUTED } },
      grid: { left: narrow ? 4 : 12, right: narrow ? 8 : 20, top: 32, bottom: 8, containLabel: true },
      xAxis: {
        type: "category", boundaryGap: false, data: data.days,
        axisLabel: { color: MUTED, hideOverlap: true, fontSize: narrow ? 10 : 12, formatter: shortDay },
        axisLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "value", minInterval: 1,
        axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12 },
        splitLine: { lineStyle: { color: LINE } }
      },
      series: [line(L.created, data.created, CREATED), line(L.resolved, data.resolved, RESOLVED)]
    };
  }

  function render() {
    if (!window.echarts) return;
    var source = document.getElementById("dashboards-data");
    var el = document.querySelector('[data-dashboards-chart="daily"]');
    if (!source || !el) return;
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption(dailyOption(data, el.clientWidth < 520), true);
    if (resizer) {
      resizer.observe(el);
    } else {
      window.addEventListener("resize", function () { chart.resize(); });
    }
  }

  document.addEventListener("DOMContentLoaded", render);
})();
