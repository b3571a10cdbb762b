// A service initiative's latest survey funnel (quality/templates/quality/_initiative_survey.html):
// one horizontal bar per stage with its 95 % Wilson interval as a whisker. The stages have
// different bases (interest = interested / aware, …), so each axis label names its base and the
// bars are not drawn as a narrowing funnel. Survey figures only: the event funnel stays a table.
// Data and translated labels come from the #initiative-data blob; no inline scripts (CSP).
(function () {
  "use strict";

  var INK = window.flexCharts.INK, MUTED = window.flexCharts.MUTED;
  var LINE = window.flexCharts.LINE;
  var resizer = window.flexCharts.resizer;

  var esc = window.flexCharts.esc;

  function percent(value) {
    return value === null || value === undefined ? "–" : value.toFixed(1) + " %";
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function chartFor(el) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    if (resizer) resizer.observe(el);
    return chart;
  }

  function whisker(params, api) {
    if (api.value(0) === null || api.value(1) === null) return null;
    var low = api.coord([api.value(0), api.value(2)]);
    var high = api.coord([api.value(1), api.value(2)]);
    var cap = Math.max(4, api.size([0, 1])[1] * 0.14);
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

  function funnelOption(data, narrow) {
    var L = data.labels, rows = data.stages;
    return {
      textStyle: { fontFamily: window.getComputedStyle(document.body).fontFamily },
      animationDuration: 300,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        confine: true,
        formatter: function (params) {
          var row = rows[params[0].dataIndex];
          return "<b>" + esc(row.name) + "</b> · " + esc(row.base_label) + "<br>" +
            esc(L.share) + ": " + percent(row.share) + "<br>" +
            esc(L.interval) + ": " + percent(row.low) + " … " + percent(row.high) + "<br>" +
            esc(fill(L.of, { count: row.count, base: row.base }));
        }
      },
      grid: { left: narrow ? 4 : 8, right: narrow ? 16 : 28, top: 24, bottom: 4, containLabel: true },
      xAxis: {
        type: "value", min: 0, max: 100, interval: narrow ? 25 : 20, position: "top",
        axisLabel: { color: MUTED, fontSize: narrow ? 10 : 12, formatter: "{value} %" },
        splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "category", inverse: true,
        data: rows.map(function (r) { return r.name; }),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: LINE } },
        axisLabel: {
          // "Awareness 84 %" over its base ("aware / surveyed"): each share says what it divides.
          formatter: function (value, index) {
            var row = rows[index];
            return "{name|" + row.name + "  " + percent(row.share) + "}\n{base|" + row.base_label + "}";
          },
          rich: {
            name: { color: INK, fontSize: narrow ? 12 : 13, fontWeight: "bold", lineHeight: 18 },
            base: { color: MUTED, fontSize: narrow ? 10 : 11, lineHeight: 15 }
          }
        }
      },
      series: [
        {
          name: L.share, type: "bar", barMaxWidth: 28,
          itemStyle: { color: data.color, opacity: 0.8 },
          label: {
            show: true, position: "insideLeft", color: "#fff", fontSize: 11,
            formatter: function (p) {
              var row = rows[p.dataIndex];
              // only where the bar is long enough to hold it clear of the whisker
              var room = narrow ? 40 : 12;
              return row.share !== null && row.low !== null && row.low >= room
                ? row.count + " / " + row.base : "";
            }
          },
          data: rows.map(function (r) { return r.share; })
        },
        {
          name: L.interval, type: "custom", renderItem: whisker, z: 5,
          encode: { x: [0, 1], y: 2 },
          data: rows.map(function (r, i) { return [r.low, r.high, i]; })
        }
      ]
    };
  }

  function render() {
    if (!window.echarts) return;
    var source = document.getElementById("initiative-data");
    var el = document.querySelector('[data-initiative-chart="funnel"]');
    if (!source || !el) return;
    var data = JSON.parse(source.textContent);
    if (!data.stages.length) return;
    chartFor(el).setOption(funnelOption(data, el.clientWidth < 520), true);
  }

  document.addEventListener("DOMContentLoaded", render);
  if (!resizer) {
    window.addEventListener("resize", function () {
      var el = document.querySelector('[data-initiative-chart="funnel"]');
      var chart = el && window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  }
})();
