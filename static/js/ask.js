// The shop's chat: keep the newest answer in view, clear the box after a question is sent,
// and open the hand-over form from a "pass to a person" link.
(function () {
  "use strict";
  function log() { return document.getElementById("ask-log"); }

  function showNewest() {
    var items = log() ? log().querySelectorAll(".turn") : [];
    if (items.length > 1) items[items.length - 1].scrollIntoView({ behavior: "smooth", block: "start" });
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "ask-form" && event.detail.successful) {
      form.querySelector("input[name=question]").value = "";
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "ask-log") showNewest();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-open-handover]");
    if (!link) return;
    var details = document.querySelector("#ask-handover details");
    if (details) {
      details.open = true;
      event.preventDefault();
      details.scrollIntoView({ behavior: "smooth", block: "center" });
      var note = details.querySelector("textarea");
      if (note) note.focus({ preventScroll: true });
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (location.hash.indexOf("#turn-") === 0) return;  // the browser scrolls to it
    showNewest();
  });
})();
