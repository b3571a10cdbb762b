// A campaign's funnel (outreach/templates/outreach/console/campaign.html): shops per stage as an
// ECharts funnel (targeted → reached → sent → delivered → read → clicked) and the deliveries of
// each channel as grouped bars. Numbers and translated labels come from the #outreach-funnel
// blob the selector built; no inline scripts (CSP).
(function () {
  "use strict";

  var C = window.flexCharts;
  var STAGE_COLOURS = ["#52606d", "#1d4ed8", "#0b6e4f", "#067647", "#c2410c", "#b42318"];
  var BAR_KEYS = ["sent", "delivered", "read", "clicked", "failed", "suppressed"];
  var BAR_COLOURS = ["#52606d", "#067647", "#1d4ed8", "#c2410c", "#b42318", "#9aa5b1"];

  function chartFor(el) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    if (C.resizer) C.resizer.observe(el);
    return chart;
  }

  function funnelOption(data, narrow) {
    var top = data.stages.length ? data.stages[0].shops : 0;
    return {
      textStyle: { fontFamily: window.getComputedStyle(document.body).fontFamily },
      animationDuration: 300,
      tooltip: {
        trigger: "item", confine: true,
        formatter: function (p) {
          var stage = data.stages[p.dataIndex];
          var rate = stage.rate === null ? "" : " · " + stage.rate + " %";
          return "<b>" + C.esc(stage.label) + "</b><br>" + stage.shops + rate;
        }
      },
      series: [{
        // Labels beside the shapes: a stage few shops reached is too thin to hold its own.
        type: "funnel", sort: "none", gap: 2, min: 0, max: Math.max(top, 1),
        left: 4, right: narrow ? "42%" : "38%", top: 8, bottom: 8,
        minSize: "6%",
        label: {
          show: true, position: "right", color: C.INK, fontSize: narrow ? 11 : 13,
          formatter: function (p) {
            var stage = data.stages[p.dataIndex];
            var rate = stage.rate === null || p.dataIndex === 0 ? "" : "  " + stage.rate + " %";
            return stage.label + "  " + stage.shops + rate;
          }
        },
        labelLine: { show: true, length: 8, lineStyle: { color: C.LINE } },
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        data: data.stages.map(function (s, i) {
          return { name: s.label, value: s.shops, itemStyle: { color: STAGE_COLOURS[i % STAGE_COLOURS.length] } };
        })
      }]
    };
  }

  function channelOption(data, narrow) {
    var L = data.labels;
    return {
      textStyle: { fontFamily: window.getComputedStyle(document.body).fontFamily },
      animationDuration: 300,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { top: 0, textStyle: { color: C.MUTED, fontSize: narrow ? 10 : 12 } },
      grid: { left: 4, right: 12, top: narrow ? 56 : 36, bottom: 4, containLabel: true },
      xAxis: {
        type: "category",
        data: data.channels.map(function (c) { return c.label; }),
        axisLabel: { color: C.INK, fontSize: narrow ? 10 : 12, interval: 0 },
        axisLine: { lineStyle: { color: C.LINE } }
      },
      yAxis: {
        type: "value", minInterval: 1,
        axisLabel: { color: C.MUTED }, splitLine: { lineStyle: { color: C.LINE } }
      },
      series: BAR_KEYS.map(function (key, i) {
        return {
          name: L[key], type: "bar", barMaxWidth: 18,
          itemStyle: { color: BAR_COLOURS[i] },
          data: data.channels.map(function (c) { return c[key]; })
        };
      })
    };
  }

  function render() {
    var source = document.getElementById("outreach-funnel");
    if (!window.echarts || !source) return;
    var data = JSON.parse(source.textContent);
    var funnel = document.getElementById("funnel-chart");
    var channels = document.getElementById("channel-chart");
    if (funnel) chartFor(funnel).setOption(funnelOption(data, funnel.clientWidth < 520), true);
    if (channels) chartFor(channels).setOption(channelOption(data, channels.clientWidth < 520), true);
  }

  document.addEventListener("DOMContentLoaded", render);
  if (!C.resizer) {
    window.addEventListener("resize", function () {
      ["funnel-chart", "channel-chart"].forEach(function (id) {
        var el = document.getElementById(id);
        var chart = el && window.echarts.getInstanceByDom(el);
        if (chart) chart.resize();
      });
    });
  }
})();
