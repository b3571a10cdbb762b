// Site behaviour without inline scripts (the CSP allows scripts from our origin only).
(function () {
  "use strict";

  function toggleNav(event) {
    var nav = document.getElementById("site-nav");
    if (!nav) return;
    var open = nav.classList.toggle("open");
    event.currentTarget.setAttribute("aria-expanded", open ? "true" : "false");
  }

  // Charts: <div class="chart" data-chart="bar|stacked-bar|pie" data-source="json-script-id">.
  // The data is {"labels": [...], "series": [{"name": ..., "data": [...], "color": ...}]}.
  var charts = [];
  function renderCharts(root) {
    if (!window.echarts) return;
    // Charts whose element an htmx swap removed (out-of-band refreshes) are let go.
    charts = charts.filter(function (c) {
      if (document.body.contains(c.getDom())) return true;
      c.dispose();
      return false;
    });
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var kind = el.dataset.chart;
      var existing = window.echarts.getInstanceByDom(el);
      var chart = existing || window.echarts.init(el);
      var option;
      if (kind === "pie") {
        // On a phone the labels go inside the ring: outside ones would be cut at the edges.
        var narrow = el.clientWidth < 480;
        option = {
          tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
          legend: { bottom: 0 },
          series: [{ type: "pie", radius: narrow ? ["38%", "72%"] : ["38%", "62%"], bottom: 24,
            label: narrow ? { position: "inside", formatter: "{c}", color: "#fff", fontWeight: "bold" }
                          : { formatter: "{b}\n{c}" },
            data: data.series[0].data.map(function (v, i) {
              return { name: data.labels[i], value: v, itemStyle: { color: (data.colors || [])[i] } };
            }) }]
        };
      } else {
        option = {
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          legend: { bottom: 0 },
          grid: { left: 48, right: 16, top: 24, bottom: 56 },
          xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
          yAxis: { type: "value" },
          series: data.series.map(function (s) {
            return { name: s.name, type: "bar", stack: kind === "stacked-bar" ? "total" : undefined,
              data: s.data, itemStyle: s.color ? { color: s.color } : undefined };
          })
        };
      }
      chart.setOption(option, true);
      if (!existing) charts.push(chart);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-toggle-nav]").forEach(function (b) { b.addEventListener("click", toggleNav); });
    // A select that shows its choice at once (no inline handlers: CSP); <noscript> keeps a button.
    document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { if (select.form) select.form.submit(); });
    });
    renderCharts(document);
  });
  // The whole document: out-of-band swaps settle outside the event's target.
  document.addEventListener("htmx:afterSettle", function () {
    renderCharts(document);
    // A form's answer marks its news (errors, a preview, a result) to be brought into view.
    var news = document.querySelector("[data-scroll-into-view]");
    if (news) {
      news.removeAttribute("data-scroll-into-view");
      news.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // Acting on a request marks its notifications read on the server; the bell follows without a
  // page load. Only after a successful write: a read changes nothing.
  function refreshBell() {
    var bell = document.getElementById("bell");
    if (!bell || !bell.dataset.unreadUrl) return;
    fetch(bell.dataset.unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var badge = bell.querySelector(".badge");
        if (data.unread > 0) {
          if (!badge) {
            badge = document.createElement("span");
            badge.className = "badge";
            bell.appendChild(document.createTextNode(" "));
            bell.appendChild(badge);
          }
          badge.textContent = String(data.unread);
        } else if (badge) {
          badge.remove();
        }
      })
      .catch(function () { /* the count refreshes on the next page load */ });
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    var verb = ((event.detail.requestConfig || {}).verb || "get").toLowerCase();
    if (verb !== "get" && event.detail.successful) refreshBell();
  });
})();
