/* The waiting room's leaving and its end, and the start of the page: a ticket this browser
 * keeps (a reload, another tab, the browser started again within the grace period) goes
 * straight back to the queue. The steps and the queue are the other modules of this page
 * (see steps.js). */
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
    var token = VO.kept(config.storage_key);
    if (!token) return Promise.resolve();
    var socket = R.socket;
    var done = socket && socket.connected
      ? new Promise(function (resolve) { socket.timeout(5000).emit("leave", {}, function () { resolve(); }); })
      : fetch("/api/tickets/me", { method: "DELETE", headers: { Authorization: "Bearer " + token }, credentials: "omit" })
        .catch(function () {});
    return done.then(function () { R.ended("left"); });
  };

  function dropSocket() {
    R.stopKeeping();
    if (R.socket) {
      var old = R.socket;
      R.socket = null;
      old.disconnect();
    }
  }

  R.ended = function (reason) {
    VO.keep(config.storage_key, null);
    dropSocket();
    R.endCall();
    R.connection("live");
    var known = ["finished", "no_show", "left", "expired", "removed"].indexOf(reason) >= 0 ? reason : "unknown";
    $("ended-heading").textContent = t("ended." + known + ".heading");
    $("ended-text").textContent = t("ended." + known + ".text");
    $("closed-hint").hidden = true;
    if ($("ended").hidden) R.showStep("ended");
    R.last = { position: null, state: null, number: null };
    R.post("state", { in_queue: false });
  };

  function fresh() {
    $("announcement-list").textContent = "";
    $("announcements").hidden = true;
    R.showStep($("consent").checked ? "step-join" : "step-privacy");  // after a reload: from the start
  }

  /* The kept token's ticket is gone (ended while no page was open): forget it and begin again. */
  R.startAfresh = function () {
    VO.keep(config.storage_key, null);
    dropSocket();
    R.endCall();
    R.connection("live");
    R.resuming = false;
    R.last = { position: null, state: null, number: null };
    R.post("state", { in_queue: false });
    fresh();
  };

  $("again").addEventListener("click", fresh);
  $("close-dialog").addEventListener("click", function () {
    if (R.parentOrigin) { R.post("close"); return; }
    window.close();  // only a tab a script opened may close itself: otherwise say how
    window.setTimeout(function () { $("closed-hint").hidden = false; }, 300);
  });

  // Another tab of this browser joined (or came back to the place): this one shows the same ticket.
  window.addEventListener("storage", function (event) {
    if (event.key !== config.storage_key || !event.newValue || R.socket) return;
    if (VO.kept(config.storage_key)) R.enterQueue(null);
  });

  // A browser without WebRTC cannot take part in a video visit: say so before anything else.
  if (typeof window.RTCPeerConnection !== "function") {
    $("no-webrtc").hidden = false;
    $("no-webrtc-address").textContent = window.location.href.replace(/([?&])embed=1(&|$)/, "$1").replace(/[?&]$/, "");
    $("no-webrtc-retry").addEventListener("click", function () { window.location.reload(); });
  }

  if (VO.kept(config.storage_key)) R.enterQueue(null);
  R.post("ready");
})(window.VO, window.VO.room);
