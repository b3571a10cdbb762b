// Service-request pages (no inline scripts under the CSP): the SLA countdown, the note dialogs,
// canned replies, and Enter in the shop search not submitting the new-request form.
(function () {
  "use strict";

  var WARN_FRACTION = 0.8; // as views_console.WARN_FRACTION

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function hms(seconds) {
    var sign = seconds < 0 ? "−" : "";
    var s = Math.abs(seconds);
    return sign + pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }

  // The server says how many business seconds remain and how many of the next wall-clock
  // seconds are working time (data-tick); only those are counted down. Every minute htmx brings
  // the server's figures back, which replace these.
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var budget = parseInt(el.dataset.tick, 10) || 0;
      if (budget <= 0) return;
      var remaining = parseInt(el.dataset.remaining, 10) - 1;
      var target = parseInt(el.dataset.target, 10) || 1;
      el.dataset.remaining = remaining;
      el.dataset.tick = budget - 1;
      el.textContent = hms(remaining);
      var clock = el.closest("[data-clock]");
      if (!clock) return;
      var used = Math.min(1, Math.max(0, (target - remaining) / target));
      var bar = clock.querySelector(".sla-bar > span");
      if (bar) bar.style.width = Math.round(used * 100) + "%";
      var level = remaining < 0 ? "late" : used >= WARN_FRACTION ? "warn" : "ok";
      if (clock.dataset.level !== level) {
        clock.classList.remove("sla-" + clock.dataset.level);
        clock.classList.add("sla-" + level);
        clock.dataset.level = level;
        var marker = clock.querySelector("[data-breach-marker]");
        if (marker) marker.hidden = level !== "late";
      }
    });
  }

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    var field = dialog.querySelector("textarea, input:not([type=hidden])");
    if (field) field.focus();
  }

  // A dialog whose post failed comes back marked: show it again with the message and the text.
  function reopenDialogs() {
    document.querySelectorAll("dialog[data-reopen]").forEach(function (dialog) {
      dialog.removeAttribute("data-reopen");
      openDialog(dialog.id);
    });
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      openDialog(opener.getAttribute("data-open-dialog"));
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  // Canned replies: the chosen text goes into the reply box at the cursor.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-canned-insert]");
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var box = document.querySelector(select.getAttribute("data-canned-insert"));
    if (!option || !option.dataset.body || !box) return;
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var text = option.dataset.body;
    if (box.value && start === 0 && end === 0) {
      start = end = box.value.length;
      if (!/\s$/.test(box.value)) text = "\n" + text;
    }
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    select.selectedIndex = 0;
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("input[data-no-submit]")) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", reopenDialogs);
  document.addEventListener("htmx:afterSettle", reopenDialogs);
  window.setInterval(tick, 1000);
})();
