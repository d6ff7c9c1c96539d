// Every staff page: once its login session has ended (without activity for the idle time, 12 hours
// after the login, or ended elsewhere), go to the login, which says why and leads back here.
// Asking the server (GET /api/session) is not activity: an open page alone keeps no session alive.
(function () {
  "use strict";
  var script = document.currentScript;
  var idle = Number(script && script.dataset.idleSeconds) || 1800;
  var every = Math.max(2, Math.min(60, idle / 4)) * 1000;

  function toLogin(reason) {
    var back = location.pathname + location.search;
    location.assign("/login?next=" + encodeURIComponent(back) + (reason ? "&ended=" + encodeURIComponent(reason) : ""));
  }

  function check() {
    fetch("/api/session", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.alive === false) {
          toLogin(body.ended);
        } else {
          setTimeout(check, every);
        }
      })
      .catch(function () { setTimeout(check, every); });
  }

  setTimeout(check, every);
})();
