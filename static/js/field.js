// Field staff pages: stamp the browser's position into check-in and check-out forms.
// Forms marked data-geo carry hidden latitude/longitude inputs; without geolocation (refused,
// unavailable, too slow) the form is sent without a position, as it is when scripts are off.
(function () {
  "use strict";

  var TIMEOUT_MS = 8000;

  function send(form) {
    form.dataset.geoDone = "1";
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function stamp(event) {
    var form = event.currentTarget;
    if (form.dataset.geoDone || !navigator.geolocation) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var finished = false;
    function finish(position) {
      if (finished) return;
      finished = true;
      if (position) {
        form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
        form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
      }
      if (button) button.disabled = false;
      send(form);
    }
    var timer = window.setTimeout(function () { finish(null); }, TIMEOUT_MS + 1000);
    navigator.geolocation.getCurrentPosition(
      function (position) { window.clearTimeout(timer); finish(position); },
      function () { window.clearTimeout(timer); finish(null); },
      { enableHighAccuracy: true, timeout: TIMEOUT_MS, maximumAge: 60000 }
    );
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-geo]").forEach(function (form) {
      form.addEventListener("submit", stamp);
    });
  });
})();
