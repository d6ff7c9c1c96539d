/* The visit's peer connection to the office server and its signaling: offers and answers in
 * order, a rollback when our offer crosses one of the server's, and a fresh connection when
 * this one is lost or refused. */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;
  var local = V.local;
  var rtc = V.rtc;

  function sources(pc) {
    var names = {};
    pc.getTransceivers().forEach(function (tr) {
      if (!tr.mid) return;
      if (tr === rtc.mic) names[tr.mid] = "microphone";
      else if (tr === rtc.cam) names[tr.mid] = "camera";
      else if (tr === rtc.screen) names[tr.mid] = "screen";
    });
    return names;
  }

  V.openPeer = function () {
    V.closePeer();
    if (V.noVideo || (V.cannotEncrypt && !V.e2ee.plain)) return;
    var pc = new RTCPeerConnection(V.e2ee.peerOptions({ iceServers: V.config.ice_servers || [] }));
    rtc.pc = pc;
    rtc.serverUfrag = null;
    rtc.tracks = {};
    rtc.inbox = [];
    rtc.mic = pc.addTransceiver(local.mic || "audio", { direction: "sendonly" });
    rtc.cam = pc.addTransceiver(local.camera || "video", { direction: "sendonly" });
    rtc.screen = local.screen ? pc.addTransceiver(local.screen, { direction: "sendonly" }) : null;
    // every frame we send is encrypted, from the first (e2ee.js)
    [[rtc.mic, "audio"], [rtc.cam, "video"], [rtc.screen, "video"]].forEach(function (pair) {
      if (pair[0]) V.e2ee.transform(pair[0].sender, pair[1], "send");
    });
    pc.onnegotiationneeded = function () { offer(pc); };
    pc.oniceconnectionstatechange = function () { watchIce(pc); };
    pc.onconnectionstatechange = function () {
      if (pc !== rtc.pc) return;
      if (pc.connectionState === "connected") {
        rtc.restartDelay = 1000;
        V.status("live", rtc.connectedBefore ? "connected" : null);  // "restored" only after a loss
        rtc.connectedBefore = true;
        window.clearTimeout(rtc.statusTimer);
        rtc.statusTimer = window.setTimeout(function () {
          if ($("connection").getAttribute("data-state") === "live") V.status("live", null);
        }, 4000);
      }
    };
    pc.ontrack = function (event) {
      V.e2ee.transform(event.receiver, event.track.kind, "receive");
      V.renderTiles();
    };
  };

  V.closePeer = function () {
    window.clearTimeout(rtc.iceTimer);
    if (rtc.pc) {
      var old = rtc.pc;
      rtc.pc = null;
      old.onnegotiationneeded = old.oniceconnectionstatechange = old.onconnectionstatechange = old.ontrack = null;
      old.close();
    }
    rtc.tracks = {};
    rtc.stats = null;
    V.renderTiles();
  };

  function offer(pc) {
    if (pc !== rtc.pc || V.over) return;
    pc.setLocalDescription().then(function () { return VO.gathered(pc); }).then(function () {
      if (pc !== rtc.pc || pc.signalingState !== "have-local-offer") return;  // rolled back meanwhile
      send({ type: "offer", sdp: pc.localDescription.sdp, sources: sources(pc) });
    }).catch(function () { /* a server offer got in between: negotiationneeded fires again */ });
  }

  function send(message) {
    var socket = V.socket;
    if (!socket || !socket.connected) return;  // the reconnect offers again
    socket.timeout(15000).emit("signal", message, function (err, answer) {
      if (err || !answer) return;  // lost on the way: the socket's reconnect starts over
      if (answer.ok) return;
      V.refused(answer, message.type);
    });
  }

  V.refused = function (answer, sent) {
    var code = answer.error;
    if (code === "replaced") return V.replaced();
    if (code === "negotiation_failed" || code === "offer_first" || code === "media_unreachable") return V.restart(false, code);  // the server let our connection go
    // An answer to an offer the server has withdrawn is refused: the server offers again. A refused
    // offer (e.g. too many m-lines after many screen shares) needs a fresh connection.
    if (code === "bad_signal") return sent === "offer" ? V.restart(false, "offer refused") : undefined;
    if (["ended", "unknown_ticket", "not_in_visit", "forbidden", "not_admitted"].indexOf(code) >= 0) return V.ended(code === "forbidden" || code === "not_admitted" ? "refused" : "unknown");
    V.showError(answer.message || t("failed"));
  };

  function handle(message) {
    var pc = rtc.pc;
    if (!pc || !message || !message.sdp) return Promise.resolve();
    // Messages meant for an earlier connection of ours may still arrive: the server's side of
    // this one is known by the ICE credentials of its first answer.
    var match = /^a=ice-ufrag:(\S+)/m.exec(message.sdp);
    var ufrag = match ? match[1] : null;
    if (message.type === "offer" && (!rtc.serverUfrag || ufrag !== rtc.serverUfrag)) return Promise.resolve();
    if (message.type === "answer" && pc.signalingState !== "have-local-offer") return Promise.resolve();
    if (message.type === "answer") rtc.serverUfrag = ufrag;
    if (message.tracks) rtc.tracks = message.tracks;
    var done;
    if (message.type === "offer") {
      var rollback = pc.signalingState !== "stable" ? pc.setLocalDescription({ type: "rollback" }) : Promise.resolve();
      done = rollback.then(function () { return pc.setRemoteDescription({ type: "offer", sdp: message.sdp }); })
        .then(function () { V.e2ee.receiveAll(pc); return pc.setLocalDescription(); })  // before the answer: Chromium ignores later ones
        .then(function () { return VO.gathered(pc); })
        .then(function () { if (pc === rtc.pc) send({ type: "answer", sdp: pc.localDescription.sdp }); });
    } else if (pc.signalingState === "have-local-offer") {
      done = pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    } else {
      done = Promise.resolve();
    }
    return done.then(V.renderTiles, function (err) { if (pc === rtc.pc) V.restart(false, "apply " + message.type + ": " + (err && err.name) + " " + (err && err.message)); });
  }

  V.onSignal = function (message) {
    rtc.inbox.push(message);
    if (rtc.handling) return;
    rtc.handling = true;
    (function next() {
      if (!rtc.inbox.length) { rtc.handling = false; return; }
      handle(rtc.inbox.shift()).then(next, next);
    })();
  };

  /* A new peer connection and a new offer: the server notices and starts over for us. */
  V.restart = function (now, why) {
    if (V.over || !V.socket || !V.socket.connected) return;
    window.clearTimeout(rtc.restartTimer);
    V.status("reconnecting", "reconnecting");
    var delay = now ? 0 : rtc.restartDelay;
    rtc.restartDelay = Math.min(8000, rtc.restartDelay * 2);
    rtc.restarts.push(why || "");
    rtc.restartTimer = window.setTimeout(function () { if (!V.over) V.openPeer(); }, delay);
  };

  function watchIce(pc) {
    if (pc !== rtc.pc) return;
    window.clearTimeout(rtc.iceTimer);
    if (pc.iceConnectionState === "failed") V.restart(true, "ice failed");
    else if (pc.iceConnectionState === "disconnected") {
      V.status("reconnecting", "reconnecting");
      rtc.iceTimer = window.setTimeout(function () {
        if (pc === rtc.pc && pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed") V.restart(true, "ice disconnected");
      }, 4000);
    }
  }

  window.addEventListener("pagehide", function () { if (rtc.pc) rtc.pc.close(); });
})(window.VO, window.VO.visit);
