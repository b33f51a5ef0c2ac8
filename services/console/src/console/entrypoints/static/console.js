// The console's only script of its own (served by the console; CSP allows nothing inline).
// It warns before the session's idle end and lets the officer stay; pages work without it.
(function () {
  "use strict";
  var body = document.body;
  var warning = document.getElementById("idle-warning");
  if (!warning || !body.dataset.endsAt) return;
  var timers = [];

  function clock(iso) {
    var d = new Date(iso);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function schedule(warnAt, endsAt) {
    timers.forEach(clearTimeout);
    timers = [];
    warning.hidden = true;
    var now = Date.now();
    timers.push(setTimeout(function () {
      document.getElementById("idle-warning-time").textContent = clock(endsAt);
      warning.hidden = false;
      document.getElementById("idle-stay").focus();
    }, Math.max(0, new Date(warnAt).getTime() - now)));
    timers.push(setTimeout(function () {
      window.location.assign("/?ended=1");
    }, Math.max(0, new Date(endsAt).getTime() - now)));
  }

  document.getElementById("idle-stay").addEventListener("click", function () {
    var token = JSON.parse(body.getAttribute("hx-headers"))["X-CSRF-Token"];
    fetch("/session/keepalive", {
      method: "POST",
      headers: { "X-CSRF-Token": token },
      credentials: "same-origin"
    }).then(function (answer) {
      if (!answer.ok) { window.location.assign("/?ended=1"); return null; }
      return answer.json();
    }).then(function (times) {
      if (times) schedule(times.warn_at, times.ends_at);
    });
  });

  schedule(body.dataset.warnAt, body.dataset.endsAt);
})();
