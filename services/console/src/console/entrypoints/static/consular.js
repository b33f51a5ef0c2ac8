// The consular pages, enhanced (they work without it): on a manifest's verification page, one
// button ticks (or clears) every person still to decide, for a consul who reviewed them all.
(function () {
  "use strict";
  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type="checkbox"][form="batch"][name="selected"]')
    );
  }
  function label(button) {
    var all = boxes().length > 0 && boxes().every(function (b) { return b.checked; });
    button.textContent = all ? button.dataset.clear : button.dataset.select;
    button.setAttribute("aria-pressed", all ? "true" : "false");
  }
  function start() {
    var button = document.getElementById("select-all");
    if (!button) { return; }
    button.hidden = false;
    label(button);
    button.addEventListener("click", function () {
      var all = boxes().every(function (b) { return b.checked; });
      boxes().forEach(function (b) { b.checked = !all; });
      label(button);
    });
    boxes().forEach(function (b) { b.addEventListener("change", function () { label(button); }); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
