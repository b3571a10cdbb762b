// The dispatch board (dispatch/templates/dispatch/board.html): a per-staff timeline of the day and
// the routes on a plane of coordinates, both drawn from the #board-data blob (labels come
// translated from the server; times are minutes from the day's local midnight). A staff button
// (or a click on a route) highlights that route in both charts; a click on a stop shows it and
// offers to move it. No inline scripts (CSP): everything is wired here.
(function () {
  "use strict";

  var INK = "#1f2933", MUTED = "#616e7c", LINE = "#d9e2ec";
  var SHIFT_FILL = "#eef2f6", LUNCH_FILL = "#fde68a", LUNCH_LINE = "#e0a526", TRAVEL = "#9aa5b1";
  var UNPLACED = "#52606d";
  var DIM = 0.18;

  var data = null;
  var focus = null; // the staff id highlighted, or null
  var timeline = null, plane = null;
  var resizer = window.ResizeObserver
    ? new ResizeObserver(function (entries) {
        entries.forEach(function (entry) {
          var chart = window.echarts && window.echarts.getInstanceByDom(entry.target);
          if (chart) {
            chart.resize();
            if (chart === plane) drawPlane();
          }
        });
      })
    : null;

  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function hm(minutes) {
    if (minutes === null || minutes === undefined) return "–";
    var total = Math.round(minutes);
    var h = Math.floor(total / 60), m = total % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  function kindColor(kind) {
    return (data.colors && data.colors[kind]) || INK;
  }

  function opacityFor(routeIndex) {
    if (focus === null) return 1;
    return data.routes[routeIndex].id === focus ? 1 : DIM;
  }

  function clip(rect, params) {
    return window.echarts.graphic.clipRectByRect(rect, {
      x: params.coordSys.x, y: params.coordSys.y,
      width: params.coordSys.width, height: params.coordSys.height
    });
  }

  // --- The timeline: one row per route. -----------------------------------------------------
  // Each custom series item is [row, from, to, ...]; renderItem draws it in the row's band.
  function band(fraction, style) {
    return function (params, api) {
      var row = api.value(0);
      var a = api.coord([api.value(1), row]), b = api.coord([api.value(2), row]);
      var h = api.size([0, 1])[1] * fraction;
      var shape = clip({ x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 1), height: h }, params);
      if (!shape) return null;
      return { type: "rect", shape: shape, style: style(api, row), z2: 0 };
    };
  }

  function renderTravel(params, api) {
    var row = api.value(0);
    var a = api.coord([api.value(1), row]), b = api.coord([api.value(2), row]);
    var waiting = api.value(3) === 1;
    return {
      type: "line",
      shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] },
      style: {
        stroke: TRAVEL, lineWidth: waiting ? 1 : 2,
        lineDash: waiting ? [2, 3] : [5, 3], opacity: opacityFor(row)
      },
      silent: true
    };
  }

  function renderWindow(params, api) {
    var row = api.value(0);
    var a = api.coord([api.value(1), row]), b = api.coord([api.value(2), row]);
    var h = api.size([0, 1])[1];
    // Windows that follow each other alternate between two heights so their ends stay apart.
    var y = a[1] - h * 0.3 - api.value(4) * 4, tick = Math.max(3, h * 0.08);
    var stop = data.routes[row].stops[api.value(3)];
    var style = { stroke: kindColor(stop.kind), lineWidth: 1.5, opacity: opacityFor(row) };
    return {
      type: "group",
      children: [
        { type: "line", shape: { x1: a[0], y1: y, x2: b[0], y2: y }, style: style },
        { type: "line", shape: { x1: a[0], y1: y, x2: a[0], y2: y + tick }, style: style },
        { type: "line", shape: { x1: b[0], y1: y, x2: b[0], y2: y + tick }, style: style }
      ]
    };
  }

  function renderStop(params, api) {
    var row = api.value(0);
    var a = api.coord([api.value(1), row]), b = api.coord([api.value(2), row]);
    var h = api.size([0, 1])[1] * 0.46;
    var stop = data.routes[row].stops[api.value(3)];
    var shape = clip({ x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 3), height: h }, params);
    if (!shape) return null;
    return {
      type: "rect",
      shape: shape,
      style: { fill: kindColor(stop.kind), stroke: "#fff", lineWidth: 1, opacity: opacityFor(row) },
      textContent: shape.width > 16
        ? { style: { text: String(stop.seq), fill: "#fff", fontSize: 11, fontWeight: "bold" } }
        : undefined,
      textConfig: { position: "inside" }
    };
  }

  function stopTooltip(route, stop) {
    var L = data.labels;
    var lines = [
      "<b>" + esc(stop.seq + ". " + stop.shop) + "</b> · " + esc(stop.kind_label),
      esc(L.service) + ": " + esc(stop.service),
      esc(L.visit) + ": " + esc(stop.times) + " · " + esc(L.arrival) + " " + esc(stop.arrival_text)
    ];
    if (stop.window_text) lines.push(esc(L.window) + ": " + esc(stop.window_text));
    lines.push('<span style="color:' + MUTED + '">' + esc(route.name) + "</span>");
    return lines.join("<br>");
  }

  function timelineOption(narrow) {
    var routes = data.routes, L = data.labels;
    var shifts = [], travel = [], lunches = [], windows = [], stops = [];
    routes.forEach(function (route, row) {
      if (route.shift[0] !== null) shifts.push([row, route.shift[0], route.shift[1]]);
      if (route.lunch) lunches.push([row, route.lunch[0], route.lunch[1]]);
      var at = route.departure, level = 0;
      route.stops.forEach(function (stop, i) {
        if (at !== null && stop.arrival !== null && stop.arrival > at) travel.push([row, at, stop.arrival, 0]);
        if (stop.arrival !== null && stop.start > stop.arrival) travel.push([row, stop.arrival, stop.start, 1]);
        if (stop.window) {
          windows.push([row, stop.window[0], stop.window[1], i, level]);
          level = 1 - level;
        }
        stops.push([row, stop.start, stop.end, i]);
        at = stop.end;
      });
      if (at !== null && route["return"] !== null && route["return"] > at) travel.push([row, at, route["return"], 0]);
    });
    return {
      textStyle: { fontFamily: fontFamily() },
      animation: false,
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          var route = routes[p.value[0]];
          if (p.seriesId === "stops" || p.seriesId === "windows") return stopTooltip(route, route.stops[p.value[3]]);
          if (p.seriesId === "lunch") return esc(route.name) + "<br>" + esc(L.lunch) + ": " + esc(route.lunch_text);
          return esc(route.name) + "<br>" + esc(L.shift) + ": " + esc(route.shift_text) +
            "<br>" + esc(L.travel) + ": " + route.travel_min + " " + esc(L.minutes) + " · " + route.km + " " + esc(L.km);
        }
      },
      grid: { left: narrow ? 70 : 110, right: 16, top: 30, bottom: 8 },
      xAxis: {
        type: "value", position: "top", min: data.range[0], max: data.range[1], interval: 60,
        axisLabel: { color: MUTED, formatter: hm, hideOverlap: true },
        splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "category", inverse: true, triggerEvent: true,
        data: routes.map(function (r) { return r.name; }),
        axisTick: { show: false },
        axisLabel: {
          color: INK, fontSize: narrow ? 11 : 13, width: narrow ? 62 : 100, overflow: "truncate",
          formatter: function (value, index) {
            return focus !== null && routes[index] && routes[index].id === focus ? "{on|" + value + "}" : value;
          },
          rich: { on: { fontWeight: "bold", color: INK } }
        }
      },
      series: [
        { id: "shifts", type: "custom", renderItem: band(0.8, function (api, row) {
            return { fill: SHIFT_FILL, stroke: LINE, opacity: opacityFor(row) };
          }), encode: { x: [1, 2], y: 0 }, data: shifts, z: 1 },
        { id: "travel", type: "custom", renderItem: renderTravel, encode: { x: [1, 2], y: 0 },
          data: travel, silent: true, tooltip: { show: false }, z: 2 },
        { id: "lunch", type: "custom", renderItem: band(0.42, function (api, row) {
            return { fill: LUNCH_FILL, stroke: LUNCH_LINE, opacity: opacityFor(row) };
          }), encode: { x: [1, 2], y: 0 }, data: lunches, z: 3 },
        { id: "windows", type: "custom", renderItem: renderWindow, encode: { x: [1, 2], y: 0 },
          data: windows, z: 4 },
        { id: "stops", type: "custom", renderItem: renderStop, encode: { x: [1, 2], y: 0 },
          data: stops, z: 5, cursor: "pointer" }
      ]
    };
  }

  function drawTimeline() {
    var el = document.querySelector('[data-board-chart="timeline"]');
    if (!el || !data.routes.length) return;
    timeline = window.echarts.getInstanceByDom(el) || initChart(el, onTimelineClick);
    timeline.setOption(timelineOption(el.clientWidth < 600), true);
  }

  // On a phone the timeline scrolls sideways: the hint and the right-edge fade go away when the
  // whole day fits, the fade also once the end of the day is in view.
  function updateScrollHint() {
    var frame = document.querySelector("[data-timeline-frame]");
    var scroller = frame && frame.querySelector(".timeline-scroll");
    if (!scroller) return;
    var fits = scroller.scrollWidth <= scroller.clientWidth + 1;
    var atEnd = scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 2;
    frame.classList.toggle("fits", fits);
    frame.classList.toggle("at-end", atEnd);
    var hint = document.querySelector("[data-timeline-hint]");
    if (hint) hint.classList.toggle("fits", fits);
  }

  function onTimelineClick(p) {
    if (p.componentType === "yAxis") {
      var index = data.routes.findIndex(function (r) { return r.name === p.value; });
      if (index >= 0) setFocus(data.routes[index].id);
      return;
    }
    if (p.seriesId === "stops" || p.seriesId === "windows") {
      var route = data.routes[p.value[0]];
      setFocus(route.id, true);
      showDetail(route, route.stops[p.value[3]]);
    }
  }

  // --- The plane: longitude across, latitude up, the aspect kept as on the ground. -----------
  // The server fits a square (on the ground) around the stops and start points (chart.plane,
  // dispatch/views_board/charts.py plane_box); here it is widened to the chart's own aspect.
  function bounds(el) {
    var p = data.plane;
    if (!p) return null;
    var squeeze = p.squeeze || 1;
    var boxW = Math.max(el.clientWidth - 80, 100), boxH = Math.max(el.clientHeight - 60, 100);
    var side = p.ymax - p.ymin; // degrees of latitude; the east-west side is the same on the ground
    var scale = side / Math.min(boxW, boxH);
    var cx = (p.xmin + p.xmax) / 2, cy = (p.ymin + p.ymax) / 2;
    var halfX = (boxW * scale) / 2 / squeeze, halfY = (boxH * scale) / 2;
    return { xmin: cx - halfX, xmax: cx + halfX, ymin: cy - halfY, ymax: cy + halfY };
  }

  function planeOption(el) {
    var L = data.labels, box = bounds(el);
    var series = [];
    data.routes.forEach(function (route, r) {
      var o = opacityFor(r);
      var path = [];
      if (route.home) path.push({ value: [route.home[0], route.home[1], r, -1], symbol: "none" });
      route.stops.forEach(function (s, i) { path.push({ value: [s.lng, s.lat, r, i] }); });
      if (route.home) path.push({ value: [route.home[0], route.home[1], r, -1], symbol: "none" });
      series.push({
        id: "route-" + r, name: route.name, type: "line", data: path, z: focus === route.id ? 5 : 2,
        symbol: "circle", symbolSize: 9, cursor: "pointer",
        lineStyle: { color: route.color, width: focus === route.id ? 3 : 2, opacity: o },
        itemStyle: { color: route.color, opacity: o, borderColor: "#fff", borderWidth: 1 },
        label: { show: focus === route.id, formatter: function (p) { return p.value[3] >= 0 ? route.stops[p.value[3]].seq : ""; },
          position: "top", fontSize: 10, color: INK },
        emphasis: { focus: "none" }
      });
      if (route.home) {
        series.push({
          id: "home-" + r, name: route.name, type: "scatter", symbol: "rect", symbolSize: 12, z: 6,
          data: [{ value: [route.home[0], route.home[1], r, -1] }],
          itemStyle: { color: "#fff", borderColor: route.color, borderWidth: 3, opacity: o }
        });
      }
    });
    if (data.unplaced.length) {
      series.push({
        id: "unplaced", name: L.unplaced, type: "scatter", symbol: "triangle", symbolSize: 11, z: 7,
        data: data.unplaced.map(function (u, i) { return { value: [u.lng, u.lat, -1, i] }; }),
        itemStyle: { color: "#fff", borderColor: UNPLACED, borderWidth: 2, opacity: focus === null ? 1 : 0.6 }
      });
    }
    var axis = function (name, min, max, gap) {
      return {
        type: "value", name: name, nameLocation: "middle", nameGap: gap, nameTextStyle: { color: MUTED },
        min: min, max: max, scale: true,
        axisLabel: { color: MUTED, hideOverlap: true, showMinLabel: false, showMaxLabel: false,
          formatter: function (v) { return v.toFixed(2); } },
        splitLine: { lineStyle: { color: LINE } }
      };
    };
    return {
      textStyle: { fontFamily: fontFamily() },
      animation: false,
      tooltip: {
        trigger: "item", confine: true,
        formatter: function (p) {
          var r = p.value[2], i = p.value[3];
          if (p.seriesId === "unplaced") {
            var u = data.unplaced[i];
            return "<b>" + esc(u.shop) + "</b> · " + esc(u.kind_label) + "<br>" + esc(L.unplaced) + ": " + esc(u.reason) +
              (u.when ? "<br>" + esc(u.when) : "");
          }
          var route = data.routes[r];
          if (i < 0) return "<b>" + esc(route.name) + "</b><br>" + esc(L.home);
          return stopTooltip(route, route.stops[i]);
        }
      },
      grid: { left: 64, right: 16, top: 16, bottom: 44 },
      xAxis: axis(L.longitude, box && box.xmin, box && box.xmax, 26),
      yAxis: axis(L.latitude, box && box.ymin, box && box.ymax, 48),
      series: series
    };
  }

  function drawPlane() {
    var el = document.querySelector('[data-board-chart="map"]');
    if (!el || !data.routes.length) return;
    plane = window.echarts.getInstanceByDom(el) || initChart(el, onPlaneClick);
    plane.setOption(planeOption(el), true);
  }

  function onPlaneClick(p) {
    var r = p.value && p.value[2], i = p.value && p.value[3];
    if (p.seriesId === "unplaced") {
      pickJob(data.unplaced[i].job);
      return;
    }
    if (r === undefined || r < 0) return;
    var route = data.routes[r];
    setFocus(route.id, true);
    if (i >= 0) showDetail(route, route.stops[i]);
  }

  function initChart(el, onClick) {
    var chart = window.echarts.init(el);
    chart.on("click", onClick);
    if (resizer) resizer.observe(el);
    return chart;
  }

  // --- Highlight, detail, move -----------------------------------------------------------------
  function setFocus(staffId, keep) {
    focus = keep ? staffId : (focus === staffId ? null : staffId);
    document.querySelectorAll("[data-staff]").forEach(function (button) {
      var on = String(focus) === button.dataset.staff;
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    document.querySelectorAll("[data-route-staff]").forEach(function (card) {
      card.classList.toggle("route-focus", String(focus) === card.dataset.routeStaff);
    });
    drawTimeline();
    drawPlane();
  }

  function line(parent, label, value) {
    if (!value) return;
    var dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value;
    parent.appendChild(dt);
    parent.appendChild(dd);
  }

  function showDetail(route, stop) {
    var panel = document.getElementById("board-detail");
    if (!panel) return;
    var L = data.labels;
    panel.innerHTML = "";
    var title = document.createElement("h3");
    title.textContent = stop.seq + ". " + stop.shop + " · " + stop.kind_label;
    panel.appendChild(title);
    var facts = document.createElement("dl");
    facts.className = "facts";
    line(facts, L.visit, stop.times);
    line(facts, L.arrival, stop.arrival_text);
    line(facts, L.window, stop.window_text);
    line(facts, L.service, stop.service);
    line(facts, L.staff, route.name);
    panel.appendChild(facts);
    if (document.getElementById("board-move")) {
      var move = document.createElement("button");
      move.type = "button";
      move.className = "small-button";
      move.textContent = L.move;
      move.setAttribute("data-pick-job", stop.job);
      panel.appendChild(move);
    }
    panel.hidden = false;
  }

  function pickJob(jobId) {
    var section = document.getElementById("board-move");
    if (!section) return;
    var select = section.querySelector('select[name="job"]');
    if (select) select.value = String(jobId);
    section.scrollIntoView({ behavior: "smooth", block: "start" });
    var staff = section.querySelector('select[name="staff"]');
    if (staff) staff.focus({ preventScroll: true });
  }

  function setup() {
    var source = document.getElementById("board-data");
    if (!source || !window.echarts) return;
    data = JSON.parse(source.textContent);
    drawTimeline();
    drawPlane();
    var scroller = document.querySelector("[data-timeline-frame] .timeline-scroll");
    if (scroller) {
      scroller.addEventListener("scroll", updateScrollHint, { passive: true });
      window.addEventListener("resize", updateScrollHint);
      updateScrollHint();
    }
  }

  document.addEventListener("click", function (event) {
    var staff = event.target.closest("[data-staff]");
    if (staff && data) {
      setFocus(Number(staff.dataset.staff));
      return;
    }
    var pick = event.target.closest("[data-pick-job]");
    if (pick) pickJob(pick.getAttribute("data-pick-job"));
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-submit-on-change]") && event.target.value) event.target.form.submit();
  });
  document.addEventListener("DOMContentLoaded", setup);
})();
