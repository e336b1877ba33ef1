// Small enhancements only: every page works without this file.
(function () {
  "use strict";
  // Idle time-out warning (WCAG 2.2.1): two minutes before the server ends an
  // idle session, offer to stay signed in.
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var dialog = document.getElementById("timeout");
  if (idle > 0 && dialog && dialog.showModal) {
    var timer;
    var arm = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { dialog.showModal(); }, Math.max(idle - 120, 30) * 1000);
    };
    document.getElementById("stay").addEventListener("click", function () {
      fetch("/session/keepalive", { method: "POST", headers: { "X-CSRF-Token": body.getAttribute("data-csrf") }, credentials: "same-origin" })
        .then(function (r) { if (r.ok) { dialog.close(); arm(); } else { window.location = "/login"; } });
    });
    arm();
  }
  // Confirm dangerous actions; the server enforces them either way.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
  // Move focus to an error summary so screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
