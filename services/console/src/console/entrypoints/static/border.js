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

  // A refused tap (a conflict, a missing reason) comes back as the row with its words.
  document.body.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (form && form.submit) form.submit();  // a broken link: fall back to the plain post
  });

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
