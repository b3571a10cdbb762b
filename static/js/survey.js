// Surveys and ratings (portal): the "answered N / M" progress, the points total, questions shown
// only after a given answer, and the reason a low rating asks for. Only display: the server checks
// every answer again and the pages work without this script.
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function filled(input) { return input.value.trim() !== ""; }

  function isComplete(question) {
    var kind = question.dataset.kind;
    if (kind === "ep") return question.querySelectorAll("input[type=radio]:checked").length === 2;
    if (kind === "points") return Array.prototype.some.call(question.querySelectorAll("input"), filled);
    if (kind === "text") return Array.prototype.some.call(question.querySelectorAll("textarea"), filled);
    return question.querySelector("input:checked") !== null;
  }

  function updateProgress(form) {
    var text = form.querySelector("[data-progress-text]");
    if (!text) return;
    var counted = Array.prototype.filter.call(form.querySelectorAll(".sv-q[data-counted]"), function (q) {
      return !q.hidden;
    });
    var done = counted.filter(isComplete).length;
    text.textContent = format(text.dataset.format, { done: done, total: counted.length });
    var bar = form.querySelector("[data-progress-bar]");
    if (bar) { bar.max = counted.length || 1; bar.value = done; }
  }

  function updatePoints(box) {
    var total = 0;
    box.querySelectorAll("input[type=number]").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!isNaN(value)) total += value;
    });
    var line = box.querySelector("[data-points-total]");
    line.textContent = format(line.dataset.format, { total: total });
    line.classList.toggle("is-right", total === 100);
  }

  function answerOf(form, code) {
    var checked = form.querySelector('input[name="' + code + '"]:checked');
    if (checked) return checked.value;
    var field = form.querySelector('[name="' + code + '"]:not([type=radio])');
    return field ? field.value : "";
  }

  function updateConditions(form) {
    form.querySelectorAll(".sv-q[data-show-if]").forEach(function (question) {
      var allowed = question.dataset.showIfIn.split(",");
      question.hidden = allowed.indexOf(answerOf(form, question.dataset.showIf)) === -1;
    });
  }

  function updateReason(form) {
    var reason = form.querySelector("[data-reason]");
    if (!reason) return;
    var chosen = form.querySelector("input[name=score]:checked");
    var low = chosen !== null && parseInt(chosen.value, 10) <= parseInt(form.dataset.lowScore, 10);
    reason.hidden = !low;
    reason.querySelector("select").required = low;
  }

  function refresh(form) {
    if (form.classList.contains("sv-form")) {
      updateConditions(form);
      updateProgress(form);
    }
    if (form.classList.contains("sv-rating-form")) updateReason(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-points]").forEach(updatePoints);
    document.querySelectorAll("form.sv-form, form.sv-rating-form").forEach(refresh);
  });
  ["change", "input"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var form = event.target.closest && event.target.closest("form.sv-form, form.sv-rating-form");
      if (!form) return;
      var points = event.target.closest("[data-points]");
      if (points) updatePoints(points);
      refresh(form);
    });
  });
})();
