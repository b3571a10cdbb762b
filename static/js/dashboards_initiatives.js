// The initiatives dashboard's chart (dashboards/templates/dashboards/initiatives.html): the latest
// funnel survey of each initiative as grouped horizontal bars, one bar per stage. The stages have
// different bases (interest = interested / aware, …), so the tooltip names each base; survey
// figures only, the event funnels stay in their tables. Data and translated labels come from the
// #initiatives-data blob; no inline scripts (CSP). The chart follows its box, so it fits a phone.
(function () {
  "use strict";

  var MUTED = window.flexCharts.MUTED, LINE = window.flexCharts.LINE;
  var esc = window.flexCharts.esc;
  var resizer = window.flexCharts.resizer;
  var COLORS = ["#1d4ed8", "#0b6e4f", "#b54708", "#7c3aed"];

  function percent(value) {
    return value === null || value === undefined ? "–" : value.toFixed(1) + " %";
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function option(data, narrow) {
    var rows = data.initiatives;
    return {
      textStyle: { fontFamily: window.getComputedStyle(document.body).fontFamily },
      animationDuration: 300,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        confine: true,
        formatter: function (params) {
          var row = rows[params[0].dataIndex];
          var lines = ["<b>" + esc(row.name) + "</b> · " + esc(row.wave) + " · " +
            esc(fill(data.labels.respondents, { count: row.surveyed }))];
          params.forEach(function (p) {
            var stage = data.stages[p.seriesIndex];
            lines.push(p.marker + esc(stage.name) + " (" + esc(data.bases[stage.code]) + "): " +
              percent(row.shares[p.seriesIndex]));
          });
          return lines.join("<br>");
        }
      },
      legend: { top: 0, data: data.stages.map(function (s) { return s.name; }),
        textStyle: { color: MUTED } },
      grid: { left: narrow ? 4 : 8, right: narrow ? 12 : 24, top: narrow ? 52 : 32, bottom: 4,
        containLabel: true },
      xAxis: {
        type: "value", min: 0, max: 100, interval: narrow ? 25 : 20,
        axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12, formatter: "{value} %" },
        splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "category", inverse: true,
        data: rows.map(function (r) { return r.name; }),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: LINE } },
        axisLabel: { color: MUTED, fontSize: narrow ? 11 : 12, width: narrow ? 88 : 180,
          overflow: "truncate" }
      },
      series: data.stages.map(function (stage, index) {
        return {
          name: stage.name, type: "bar", barMaxWidth: 14,
          itemStyle: { color: COLORS[index % COLORS.length] },
          data: rows.map(function (r) { return r.shares[index]; })
        };
      })
    };
  }

  function render() {
    if (!window.echarts) return;
    var source = document.getElementById("initiatives-data");
    var el = document.querySelector("[data-initiatives-chart]");
    if (!source || !el) return;
    var data = JSON.parse(source.textContent);
    // Four bars an initiative: the box grows with their number instead of squeezing them.
    el.style.height = Math.max(260, 90 + data.initiatives.length * 76) + "px";
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption(option(data, el.clientWidth < 520), true);
    if (resizer) {
      resizer.observe(el);
    } else {
      window.addEventListener("resize", function () { chart.resize(); });
    }
  }

  document.addEventListener("DOMContentLoaded", render);
})();
