// The Reserve Fund's filing form, enhanced (it works without it): as amounts are typed, the
// total in USD, what the cap per case leaves for each item, and whether two approvers are
// needed. The server says the same on every render; the API decides.
(function () {
  "use strict";
  function cents(text) {
    var t = (text || "").trim().toUpperCase().replace(/^(USD|US\$|\$)/, "").replace(/[\s\u00a0]/g, "");
    if (t.indexOf(",") >= 0 && t.indexOf(".") >= 0) { t = t.replace(/,/g, ""); }
    else if (/^\d+,\d{1,2}$/.test(t)) { t = t.replace(",", "."); }
    else { t = t.replace(/,/g, ""); }
    if (!/^\d+(\.\d{1,2})?$/.test(t)) { return null; }
    var parts = t.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }
  function usd(c) {
    var whole = Math.floor(c / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return "USD " + whole + "." + ("0" + (c % 100)).slice(-2);
  }
  function tag(kind, text) {
    var span = document.createElement("span");
    span.className = "tag " + kind;
    span.textContent = text;
    return span;
  }
  function start() {
    var box = document.querySelector("[data-fund-cap]");
    var words = document.getElementById("fund-words");
    if (!box || !words) { return; }
    var cap = cents(box.dataset.fundCap), threshold = cents(box.dataset.fundThreshold);
    var inputs = Array.prototype.slice.call(box.querySelectorAll("input[data-fund-amount]"));
    function update() {
      var amounts = inputs.map(function (i) { return cents(i.value) || 0; });
      var total = amounts.reduce(function (a, b) { return a + b; }, 0);
      document.getElementById("fund-total").textContent = usd(total);
      inputs.forEach(function (input, n) {
        var cell = box.querySelector('[data-fund-room-for="' + input.name + '"]');
        if (cell) {
          cell.textContent = words.dataset.upTo.replace("%(amount)s", usd(Math.max(cap - (total - amounts[n]), 0)));
        }
      });
      var verdict = document.getElementById("fund-verdict");
      verdict.textContent = "";
      if (total > cap) { verdict.appendChild(tag("bad", words.dataset.over)); }
      else if (total > threshold) { verdict.appendChild(tag("warn", words.dataset.two)); }
      else { verdict.appendChild(tag("good", words.dataset.within)); }
    }
    inputs.forEach(function (i) { i.addEventListener("input", update); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
