// Console page behaviours (no inline scripts under the CSP): the segmentation rule editor's
// add / remove / move-up buttons, and closing a panel loaded by htmx (the plan editor).
(function () {
  "use strict";

  function renumber(list) {
    list.querySelectorAll("[data-rule-pos]").forEach(function (el, i) { el.textContent = i + 1; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-add-rule")) {
      var form = button.closest("form");
      var list = form.querySelector("[data-rule-list]");
      var template = form.querySelector("#rule-row-template");
      var row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      renumber(list);
      var first = row.querySelector("select, input");
      if (first) first.focus();
    } else if (button.hasAttribute("data-remove-rule")) {
      var item = button.closest("[data-rule-row]");
      var parent = item.parentElement;
      item.remove();
      renumber(parent);
    } else if (button.hasAttribute("data-move-up")) {
      var current = button.closest("[data-rule-row]");
      var previous = current.previousElementSibling;
      if (previous) {
        current.parentElement.insertBefore(current, previous);
        renumber(current.parentElement);
        button.focus();
      }
    } else if (button.hasAttribute("data-close-panel")) {
      var panel = document.querySelector(button.getAttribute("data-close-panel"));
      if (panel) panel.innerHTML = "";
    }
  });
})();

