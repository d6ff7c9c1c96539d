/* The visit page itself: the socket to /visit, who we are in the visit, leaving, and the end.
 * The media, the connection and the tiles are the other modules of this page (see state.js). */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;
  var config = V.config;

  /* ---------- leaving ---------- */

  $("leave").addEventListener("click", function () {
    if (V.me.role === "citizen") {
      $("leave-confirm").hidden = false;
      $("leave-no").focus();
      return;
    }
    V.ended(V.me.role === "guest" ? "guest_left" : "clerk_left");
  });
  $("leave-no").addEventListener("click", function () { $("leave-confirm").hidden = true; $("leave").focus(); });
  function leaveVisit() {
    var done = V.token
      ? fetch("/api/tickets/me", { method: "DELETE", headers: { Authorization: "Bearer " + V.token }, credentials: "omit" }).catch(function () {})
      : Promise.resolve();
    return done.then(function () { V.ended("left"); });
  }
  $("leave-yes").addEventListener("click", leaveVisit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !$("leave-confirm").hidden) { $("leave-confirm").hidden = true; $("leave").focus(); }
  });

  /* ---------- the end ---------- */

  function hangUp() {
    V.over = true;
    window.clearTimeout(V.rtc.restartTimer);
    V.closePeer();
    V.stopLocal();
    V.removeTiles();
  }

  /* ---------- the widget's dialog, when it framed the waiting room and so this visit ---------- */

  var parentOrigin = window.parent !== window ? VO.stored(VO.PARENT_KEY) : null;

  function tellWidget(type, extra) {
    if (!parentOrigin) return;
    var msg = { source: "virtual-office", type: type };
    Object.keys(extra || {}).forEach(function (k) { msg[k] = extra[k]; });
    try { window.parent.postMessage(msg, parentOrigin); } catch (e) { /* gone */ }
  }

  window.addEventListener("message", function (event) {
    if (!parentOrigin || event.origin !== parentOrigin || event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.source !== "virtual-office") return;
    // the citizen confirmed closing the dialog: leaving it gives the visit up, as "leave" here does
    if (data.type === "leave" && V.me.role === "citizen" && !V.over) leaveVisit().then(function () { tellWidget("left"); });
  });

  V.ended = function (reason) {
    if (V.over && reason !== "replaced") return;
    hangUp();
    if (V.socket && reason !== "replaced") { var old = V.socket; V.socket = null; old.disconnect(); }
    var citizen = V.me.role === "citizen" || (!V.me.role && V.token);
    var back = citizen && (reason === "sent_back" || reason === "transferred") && config.waiting_room_url;
    if (citizen && !back && ["finished", "left", "no_show", "removed", "expired", "unknown"].indexOf(reason) >= 0) {
      VO.keep(config.storage_key, null);
      tellWidget("state", { in_queue: false });
    }
    var known = ["finished", "left", "sent_back", "transferred", "no_show", "removed", "expired", "dismissed",
                 "refused", "replaced", "guest_left", "clerk_left"].indexOf(reason) >= 0 ? reason : "unknown";
    $("visit").hidden = true;
    $("ended").hidden = false;
    $("ended-heading").textContent = t("ended." + known + ".heading");
    $("ended-text").textContent = t("ended." + known + ".text");
    var link = $("back-to-room");
    link.hidden = !back;
    if (back) link.href = config.waiting_room_url + (window.parent !== window ? "&embed=1" : "");
    $("rejoin").hidden = ["replaced", "guest_left", "clerk_left"].indexOf(known) < 0;
    $("close-window").hidden = !!config.console || !!back;  // in the console the panel closes by itself; sent back: on to the room
    $("closed-hint").hidden = true;
    V.videoHelp(null);
    V.status("live", null);
    // In the console the focus stays where the clerk works (a focus() in a frame would take it from the console's shortcuts).
    if (!config.console || document.hasFocus()) $("ended-heading").focus();
  };

  V.replaced = function () {
    V.ended("replaced");
  };

  $("rejoin").addEventListener("click", function () {
    window.location.reload();  // a fresh start takes the media over again
  });
  $("close-window").addEventListener("click", function () {
    if (parentOrigin) { tellWidget("close"); return; }
    window.close();  // only a tab a script opened may close itself: otherwise say how
    window.setTimeout(function () { $("closed-hint").hidden = false; }, 300);
  });

  /* ---------- no video at all, or none for too long ---------- */

  V.noVideo = typeof window.RTCPeerConnection !== "function";
  V.cannotEncrypt = !V.noVideo && !V.e2ee.supported;  // refused, never sent in the clear (docs/e2ee.md)
  $("video-help-retry").addEventListener("click", function () {
    V.videoHelp(null);
    if (V.socket && !V.socket.connected) { V.socket.connect(); V.status("connecting", "connecting"); }
    else if (V.started) { V.restart(true, "retry"); }
  });

  /* ---------- socket.io ---------- */

  function start() {
    if (V.noVideo || (V.cannotEncrypt && !V.e2ee.plain)) {  // chat and documents still work; video does not
      V.status("novideo", null);
      // a browser that cannot encrypt: refused, or the clerk decides (the office's setting, docs/e2ee.md)
      V.videoHelp(V.noVideo ? "no_webrtc" : config.unencrypted_video === "clerk" ? "e2ee_ask" : "e2ee_unsupported");
      MEDIA_PARTS.forEach(function (id) { $(id).hidden = true; });
      return;
    }
    V.startMedia();
  }

  var MEDIA_PARTS = ["tiles", "alone", "quality", "mute", "camera-off", "share"];

  /* The connection first: our camera and microphone join it when they come (see media.js). */
  V.startMedia = function () {
    if (V.started || V.over || V.noVideo) return;
    MEDIA_PARTS.forEach(function (id) { $(id).hidden = false; });
    V.videoHelp(null);
    V.started = true;
    V.openPeer();
    V.startLocal();
  };

  function connect() {
    if (typeof window.io !== "function") { V.showError(t("failed")); return; }
    V.status("connecting", "connecting");
    var socket = V.socket = window.io("/visit", {
      auth: { visit: config.visit_id, token: V.token, lang: config.lang },
      query: { visit: config.visit_id },  // lets a proxy keep a visit on one process (docs/media.md)
      transports: ["websocket", "polling"]
    });
    window.VirtualOfficeVisit.socket = socket;
    var everConnected = false;
    socket.on("connect", function () {
      V.call("whoami").then(function (answer) {
        if (!answer.ok) { V.refused(answer); return; }
        V.me = { participant: answer.participant, role: answer.role };
        document.body.setAttribute("data-role", V.me.role);
        $("colleagues").hidden = V.me.role !== "clerk";
        // the serving clerk in the console finishes there; elsewhere "leave" only hangs up
        $("leave").hidden = V.me.role === "clerk" && config.console;
        $("leave").textContent = V.me.role === "citizen" ? t("leave.citizen") : t("leave.staff");
        V.loadColleagues();
        V.e2ee.connected();
        if (V.me.role === "citizen") tellWidget("state", { in_queue: true, phase: "visit" });
        if (!everConnected) { everConnected = true; start(); }
        else if (V.started) V.restart(true, "socket reconnected");  // the server let our media go with the old socket
        else if (V.noVideo || V.cannotEncrypt) V.status("novideo", null);
      });
    });
    socket.on("disconnect", function (reason) {
      if (V.over) return;
      V.status("reconnecting", "reconnecting");
      if (reason === "io server disconnect") window.setTimeout(function () { if (V.socket) V.socket.connect(); }, 2000);
    });
    socket.on("connect_error", function (err) {
      var code = err && err.data && err.data.error;
      if (["unknown_ticket", "not_in_visit", "forbidden", "not_authenticated", "origin_not_allowed"].indexOf(code) >= 0) {
        V.ended(code === "unknown_ticket" ? "unknown" : "refused");
        return;
      }
      V.status("reconnecting", "reconnecting");
      if (V.socket && !V.socket.active) window.setTimeout(function () { if (V.socket) V.socket.connect(); }, 3000);
    });
    socket.on("signal", V.onSignal);
    socket.on("key", V.e2ee.onKey);
    socket.on("encryption", V.e2ee.onState);
    socket.on("participants", function (data) {
      var before = V.people;
      V.people = {};
      ((data && data.participants) || []).forEach(function (p) {
        var was = before[p.participant];
        var connected = p.connected !== false;
        // since when this member has had no connection (kept across events: the grace runs from the first)
        var since = connected ? 0 : (was && was.awaySince) || Date.now();
        V.people[p.participant] = { name: p.name, role: p.role, connected: connected, awaySince: since };
      });
      V.e2ee.setMembers(Object.keys(V.people));
      V.renderTiles();
      V.announceAway();
      V.renderGuests();
      V.loadColleagues();
    });
    socket.on("replaced", V.replaced);
    // The node that held the visit's media is gone and another took it over: our connection went with it.
    socket.on("media_moved", function () { if (V.started) V.restart(true, "media moved"); });
    socket.on("ended", function (data) { V.ended((data && data.reason) || "finished"); });
  }

  // For the exchange panels (the same socket and credentials), tests and diagnostics: the peer
  // connection, the latest track map, and why it started over.
  window.VirtualOfficeVisit = { socket: null, token: V.token, pc: function () { return V.rtc.pc; },
                                tracks: function () { return V.rtc.tracks; }, restarts: function () { return V.rtc.restarts; },
                                safetyCode: function () { return V.e2ee.code; }, frameCounts: function () { return V.e2ee.counts(); } };

  // The citizen's token stays with the browser while the visit lasts (see VO.keep).
  window.setInterval(function () {
    if (V.token && !V.over && V.socket && V.socket.connected) VO.touch(config.storage_key);
  }, 20000);

  connect();
})(window.VO, window.VO.visit);
