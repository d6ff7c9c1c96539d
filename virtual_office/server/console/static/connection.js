/* The console's socket to /clerk: its state on the page, sending events, being logged out. */
(function (VO, C) {
  "use strict";

  var $ = VO.find;
  var S = C.S;

  var socket = C.socket = io("/clerk", { auth: { lang: C.config.lang } });

  function connection(stateName, key) {
    var el = $("#connection");
    el.dataset.state = stateName;
    el.textContent = S[key];
  }

  /* The account was deleted, has a new password, or the session expired. */
  C.loggedOut = function () {
    connection("refused", "logged_out");
    window.location.assign("/login?next=/console");
  };

  /* An event to the server; done(answer) once it answers ok, else its error in #alert. */
  C.send = function (event, data, done) {
    C.clearAlert();
    socket.timeout(10000).emit(event, data, function (err, answer) {
      if (err) { C.alertError({ error: "unavailable" }); return; }
      if (answer && answer.error === "not_authenticated") { C.loggedOut(); return; }
      if (!answer || !answer.ok) { C.alertError(answer); return; }
      if (done) done(answer);
    });
  };

  socket.on("connect", function () { connection("connected", "connected"); });
  socket.on("disconnect", function () { connection("disconnected", "disconnected"); });
  socket.on("connect_error", function (err) {
    if (err && err.data && err.data.error === "not_authenticated") {
      C.loggedOut();
    } else {
      connection("disconnected", "disconnected");
    }
  });
})(window.VO, window.VO.console);
