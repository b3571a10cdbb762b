// The process-analysis page: three charts drawn from the #analysis-data blob (labels come
// translated from the server), a picker for the stage chart, resizing with the page. No inline
// scripts (CSP); the results are swapped by htmx, so everything is set up again after a swap.
(function () {
  "use strict";

  var INK = window.flexCharts.INK, MUTED = window.flexCharts.MUTED;
  var LINE = window.flexCharts.LINE, BRAND = "#0b6e4f", ACCENT = "#c2410c";
  var charts = {};
  var resizer = window.flexCharts.resizer;

  var esc = window.flexCharts.esc;

  function hours(value, unit) {
    return value === null || value === undefined ? "–" : value + " " + unit;
  }

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  function chartFor(el) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    charts[el.dataset.analysisChart] = chart;
    if (resizer) resizer.observe(el);
    return chart;
  }

  // --- Time per stage: median waiting + processing stacked, the p90 as a diamond. -----------
  function stageOption(view, data, narrow) {
    var L = data.labels, C = data.colors, unit = L.hours_unit;
    var rows = view.rows;
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        confine: true,
        formatter: function (params) {
          var row = rows[params[0].dataIndex];
          var lines = ["<b>" + esc(row.stage) + "</b>" + (row.slowest ? " · " + esc(L.slowest) : "")];
          lines.push(esc(L.waiting) + ": " + hours(row.wait, unit) + " · " + esc(L.waiting_p90) + ": " + hours(row.wait_p90, unit));
          if (row.work !== null) {
            lines.push(esc(L.processing) + ": " + hours(row.work, unit) + " · " + esc(L.processing_p90) + ": " + hours(row.work_p90, unit));
          }
          lines.push(esc(L.p90) + ": " + hours(row.p90, unit));
          return lines.join("<br>");
        }
      },
      legend: { top: 0, itemWidth: 14, itemHeight: 10, textStyle: { fontSize: narrow ? 11 : 12 } },
      grid: { left: narrow ? 4 : 16, right: narrow ? 36 : 48, top: narrow ? 52 : 32, bottom: 8 },
      xAxis: {
        type: "value",
        splitNumber: narrow ? 3 : 5,
        axisLabel: {
          color: MUTED, hideOverlap: true,
          formatter: function (v) { return v ? v + " " + unit : "0"; }
        },
        splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "category",
        inverse: true,  // the first stage on top
        data: rows.map(function (r) { return r.stage; }),
        axisTick: { show: false },
        axisLabel: {
          color: INK,
          fontSize: narrow ? 12 : 13,
          formatter: function (value, index) {
            return rows[index] && rows[index].slowest ? "{slow|" + value + "}\n{tag|" + L.slowest + "}" : value;
          },
          rich: {
            slow: { color: C.slow_work, fontWeight: "bold", fontSize: narrow ? 12 : 13 },
            tag: { color: C.slow_work, fontSize: 11, padding: [2, 0, 0, 0] }
          }
        }
      },
      series: [
        {
          name: L.waiting, type: "bar", stack: "median", barMaxWidth: 26,
          itemStyle: { color: C.wait },
          data: rows.map(function (r) {
            return { value: r.wait, itemStyle: { color: r.slowest ? C.slow_wait : C.wait } };
          })
        },
        {
          name: L.processing, type: "bar", stack: "median", barMaxWidth: 26,
          itemStyle: { color: C.work },
          data: rows.map(function (r) {
            return { value: r.work || 0, itemStyle: { color: r.slowest ? C.slow_work : C.work } };
          })
        },
        {
          name: L.p90, type: "scatter", symbol: "diamond", symbolSize: narrow ? 11 : 13,
          itemStyle: { color: INK },
          label: {
            show: true, position: "right", color: INK, fontSize: 11,
            formatter: function (p) { return p.value[0]; }
          },
          data: rows.map(function (r, i) { return [r.p90, i]; })
        }
      ]
    };
  }

  // --- Weekly trend: median and p90 resolution as lines, volume as bars on the right axis. ---
  function trendOption(data, narrow) {
    var L = data.labels, T = data.trend;
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: {
        trigger: "axis",
        confine: true,
        formatter: function (params) {
          var lines = ["<b>" + esc(T.titles[params[0].dataIndex]) + "</b>"];
          params.forEach(function (p) {
            var value = p.seriesIndex === 0 ? p.value : hours(p.value, L.hours_unit);
            lines.push(p.marker + esc(p.seriesName) + ": " + (value === null ? "–" : value));
          });
          return lines.join("<br>");
        }
      },
      legend: { bottom: 0, itemWidth: 14, itemHeight: 10, textStyle: { fontSize: narrow ? 11 : 12 } },
      grid: { left: 8, right: 8, top: 30, bottom: narrow ? 52 : 40 },
      xAxis: {
        type: "category",
        data: T.weeks,
        axisLabel: { color: MUTED, hideOverlap: true, fontSize: 11 },
        axisTick: { alignWithLabel: true }
      },
      yAxis: [
        { type: "value", name: L.hours, nameTextStyle: { color: MUTED, align: "left" },
          axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
        { type: "value", name: L.requests, nameTextStyle: { color: MUTED, align: "right" },
          axisLabel: { color: MUTED }, splitLine: { show: false } }
      ],
      series: [
        { name: L.requests, type: "bar", yAxisIndex: 1, data: T.count, barMaxWidth: 22,
          itemStyle: { color: LINE }, emphasis: { itemStyle: { color: "#bcccdc" } } },
        { name: L.median_resolution, type: "line", data: T.median, symbolSize: 6,
          itemStyle: { color: BRAND }, lineStyle: { width: 2.5 } },
        { name: L.p90_resolution, type: "line", data: T.p90, symbolSize: 6,
          itemStyle: { color: ACCENT }, lineStyle: { width: 2, type: "dashed" } }
      ]
    };
  }

  // --- Where the time goes: a donut; the list under it is the legend. ---------------------
  function splitOption(data) {
    var unit = data.labels.hours_unit;
    return {
      textStyle: { fontFamily: fontFamily() },
      animationDuration: 300,
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) { return esc(p.name) + ": " + p.value + " " + unit + " (" + p.percent + "%)"; }
      },
      series: [{
        type: "pie", radius: ["42%", "78%"], center: ["50%", "50%"], avoidLabelOverlap: true,
        minShowLabelAngle: 14,
        label: {
          position: "inside", color: "#fff", fontWeight: "bold", fontSize: 12,
          formatter: function (p) { return Math.round(p.percent) + "%"; }
        },
        itemStyle: { borderColor: "#fff", borderWidth: 2 },
        data: data.split.map(function (s) {
          return { name: s.name, value: s.value, itemStyle: { color: s.color } };
        })
      }]
    };
  }

  function picker() {
    return document.querySelector("[data-stage-picker]");
  }

  function showStageView(data, index) {
    var el = document.querySelector('[data-analysis-chart="stages"]');
    var view = data.stages[index] || data.stages[0];
    if (el) chartFor(el).setOption(stageOption(view, data, el.clientWidth < 520), true);
    document.querySelectorAll("[data-stage-view]").forEach(function (block) {
      block.hidden = block.dataset.stageView !== String(index);
    });
  }

  function readData() {
    var source = document.getElementById("analysis-data");
    return source ? JSON.parse(source.textContent) : null;
  }

  function render() {
    if (!window.echarts) return;
    // Charts whose element a swap removed are let go.
    Object.keys(charts).forEach(function (key) {
      if (!document.body.contains(charts[key].getDom())) {
        if (resizer) resizer.unobserve(charts[key].getDom());
        charts[key].dispose();
        delete charts[key];
      }
    });
    var data = readData();
    if (!data) return;
    var select = picker();
    showStageView(data, select ? Number(select.value) : 0);
    var trend = document.querySelector('[data-analysis-chart="trend"]');
    if (trend) chartFor(trend).setOption(trendOption(data, trend.clientWidth < 520), true);
    var split = document.querySelector('[data-analysis-chart="split"]');
    if (split) chartFor(split).setOption(splitOption(data), true);
  }

  // The picker sits outside the filter form: choosing a type redraws, it does not reload.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-stage-picker]")) return;
    var data = readData();
    if (data) showStageView(data, Number(event.target.value));
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-show-stage]");
    if (!button) return;
    var select = picker();
    var data = readData();
    if (!select || !data) return;
    select.value = button.dataset.showStage;
    showStageView(data, Number(select.value));
    document.getElementById("stage-card").scrollIntoView({ behavior: "smooth", block: "start" });
  });

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
  if (!resizer) {
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (key) { charts[key].resize(); });
    });
  }
})();
