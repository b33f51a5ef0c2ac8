// The border pages' script (served by the console; CSP allows nothing inline). Pages work
// without it: it keeps the keyboard's place after a one-tap update and offers printing.
(function () {
  "use strict";

  // After htmx swapped a person's row, focus stays on that row (its name), so Tab goes on
  // to the next person instead of starting again at the top of the page.
  document.body.addEventListener("htmx:afterSettle", function () {
    var row = document.querySelector("[data-focus-now]");
    if (!row) return;
    var target = document.getElementById(row.getAttribute("data-focus-now"));
    row.removeAttribute("data-focus-now");
    if (target) target.focus();
  });

  // A refused tap (a conflict, a missing reason) comes back as the row with its words. A tap
  // that got no answer (the link dropped, the server failed) says so; the same button sends
  // the same Idempotency-Key again, so tapping again records the person once.
  function linkLost() {
    var box = document.getElementById("link-lost");
    if (box) box.hidden = false;
  }
  document.body.addEventListener("htmx:sendError", linkLost);
  document.body.addEventListener("htmx:responseError", linkLost);
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("link-lost");
    if (box && event.detail.successful) box.hidden = true;
  });

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
