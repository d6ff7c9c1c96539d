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

  /* An event to the server; done(answer) once it answers ok. A refusal is shown in #alert unless
   * refused(answer) takes care of it (returns true). The promise settles once it is answered (or not). */
  C.send = function (event, data, done, refused) {
    C.clearAlert();
    return new Promise(function (resolve) {
      socket.timeout(10000).emit(event, data, function (err, answer) {
        resolve();
        if (err) { C.alertError({ error: "unavailable" }); return; }
        if (answer && answer.error === "not_authenticated") { C.loggedOut(); return; }
        if (!answer || !answer.ok) { if (!(refused && answer && refused(answer))) C.alertError(answer); return; }
        if (done) done(answer);
      });
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
