/* The waiting room's leaving and its end, and the start of the page: a ticket kept in this
 * tab (after a reload) goes straight back to the queue. The steps and the queue are the other
 * modules of this page (see steps.js). */
(function (VO, R) {
  "use strict";

  var $ = VO.$;
  var t = R.t;
  var config = R.config;

  R.hideLeaveConfirm = function () {
    $("leave-confirm").hidden = true;
    $("leave").focus();
  };

  $("leave").addEventListener("click", function () {
    $("leave-confirm").hidden = false;
    $("leave-no").focus();
  });
  $("leave-no").addEventListener("click", R.hideLeaveConfirm);
  $("leave-yes").addEventListener("click", function () { R.leaveQueue(); });

  R.leaveQueue = function () {
    var token = VO.stored(config.storage_key);
    if (!token) return Promise.resolve();
    var socket = R.socket;
    var done = socket && socket.connected
      ? new Promise(function (resolve) { socket.timeout(5000).emit("leave", {}, function () { resolve(); }); })
      : fetch("/api/tickets/me", { method: "DELETE", headers: { Authorization: "Bearer " + token }, credentials: "omit" })
        .catch(function () {});
    return done.then(function () { R.ended("left"); });
  };

  R.ended = function (reason) {
    VO.forget(config.storage_key);
    if (R.socket) {
      var old = R.socket;
      R.socket = null;
      old.disconnect();
    }
    R.endCall();
    R.connection("live");
    var known = ["finished", "no_show", "left", "expired", "removed"].indexOf(reason) >= 0 ? reason : "unknown";
    $("ended-heading").textContent = t("ended." + known + ".heading");
    $("ended-text").textContent = t("ended." + known + ".text");
    $("close-dialog").hidden = !R.parentOrigin;
    if ($("ended").hidden) R.showStep("ended");
    R.last = { position: null, state: null, number: null };
    R.post("state", { in_queue: false });
  };

  $("again").addEventListener("click", function () {
    $("announcement-list").textContent = "";
    $("announcements").hidden = true;
    R.showStep($("consent").checked ? "step-join" : "step-privacy");  // after a reload: from the start
  });
  $("close-dialog").addEventListener("click", function () { R.post("close"); });

  if (VO.stored(config.storage_key)) R.enterQueue(null);
  R.post("ready");
})(window.VO, window.VO.room);
