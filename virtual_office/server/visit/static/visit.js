/* The video visit: one peer connection to the office server, signaling over socket.io (/visit).
 *
 * The server relays every participant's media; this page sends its microphone, camera and
 * (when shared) screen, and shows what the server's offers say it receives (`tracks`: mid ->
 * participant and source). Server messages are handled strictly in order; the server is the
 * impolite side, so an offer of ours that crosses one of its offers is rolled back and sent again.
 * A lost connection is rebuilt with a fresh peer connection and a new offer; the visit goes on.
 * Nothing is recorded. Every value from the server is shown with textContent, never as HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("visit-config").textContent);
  var PARENT_KEY = "virtual-office.parent";
  var QUALITY_SECONDS = 2;

  function $(id) { return document.getElementById(id); }
  function t(key, values) {
    var text = config.strings[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }
  function stored(key) { try { return key ? window.sessionStorage.getItem(key) : null; } catch (e) { return null; } }
  function forget(key) { try { if (key) window.sessionStorage.removeItem(key); } catch (e) { /* storage off */ } }

  var live = $("announcer");
  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }
  function status(state, key) {
    var line = $("connection");
    line.setAttribute("data-state", state);
    line.textContent = key ? t(key) : "";
  }
  function showError(text) {
    var box = $("media-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  var token = stored(config.storage_key);
  var me = { participant: null, role: null };
  var people = {};  // participant -> {name, role}
  var local = { mic: null, camera: null, screen: null, cameras: [], cameraIndex: 0 };
  var rtc = { pc: null, mic: null, cam: null, screen: null, tracks: {}, inbox: [], handling: false,
              restartTimer: 0, restartDelay: 1000, restarts: [], iceTimer: 0, stats: null,
              connectedBefore: false, statusTimer: 0 };
  var tiles = {};  // key (participant + "/" + camera|screen) -> {li, video, stream, ids}
  var over = false;
  var started = false;

  /* ---------- local media ---------- */

  function getMedia() {
    var video = { width: { ideal: 640 }, height: { ideal: 480 } };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return Promise.resolve(null);
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video })
      .catch(function () { return navigator.mediaDevices.getUserMedia({ audio: true }); })
      .catch(function () { return navigator.mediaDevices.getUserMedia({ video: video }); })
      .catch(function () { return null; });
  }

  function startLocal() {
    return getMedia().then(function (stream) {
      if (!stream) {
        showError(t("no_devices"));
        return;
      }
      local.mic = stream.getAudioTracks()[0] || null;
      local.camera = stream.getVideoTracks()[0] || null;
      showOwn();
      $("mute").disabled = !local.mic;
      $("camera-off").disabled = !local.camera;
      return navigator.mediaDevices.enumerateDevices().then(function (devices) {
        local.cameras = devices.filter(function (d) { return d.kind === "videoinput"; });
        var current = local.camera && local.camera.getSettings().deviceId;
        local.cameraIndex = Math.max(0, local.cameras.map(function (d) { return d.deviceId; }).indexOf(current));
        $("switch-camera").hidden = local.cameras.length < 2;
      }).catch(function () {});
    });
  }

  function showOwn() {
    var own = $("own-video");
    own.srcObject = local.camera ? new MediaStream([local.camera]) : null;
    own.play().catch(function () {});
  }

  function stopLocal() {
    [local.mic, local.camera, local.screen].forEach(function (track) { if (track) track.stop(); });
    local.mic = local.camera = local.screen = null;
    $("own-video").srcObject = null;
  }

  /* ---------- the peer connection ---------- */

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      pc.addEventListener("icegatheringstatechange", function () { if (pc.iceGatheringState === "complete") resolve(); });
    });
  }

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

  function openPeer() {
    closePeer();
    var pc = new RTCPeerConnection({ iceServers: config.ice_servers || [] });
    rtc.pc = pc;
    rtc.serverUfrag = null;
    rtc.tracks = {};
    rtc.inbox = [];
    rtc.mic = pc.addTransceiver(local.mic || "audio", { direction: "sendonly" });
    rtc.cam = pc.addTransceiver(local.camera || "video", { direction: "sendonly" });
    rtc.screen = local.screen ? pc.addTransceiver(local.screen, { direction: "sendonly" }) : null;
    pc.onnegotiationneeded = function () { offer(pc); };
    pc.oniceconnectionstatechange = function () { watchIce(pc); };
    pc.onconnectionstatechange = function () {
      if (pc !== rtc.pc) return;
      if (pc.connectionState === "connected") {
        rtc.restartDelay = 1000;
        status("live", rtc.connectedBefore ? "connected" : null);  // "restored" only after a loss
        rtc.connectedBefore = true;
        window.clearTimeout(rtc.statusTimer);
        rtc.statusTimer = window.setTimeout(function () {
          if ($("connection").getAttribute("data-state") === "live") status("live", null);
        }, 4000);
      }
    };
    pc.ontrack = function () { renderTiles(); };
  }

  function closePeer() {
    window.clearTimeout(rtc.iceTimer);
    if (rtc.pc) {
      var old = rtc.pc;
      rtc.pc = null;
      old.onnegotiationneeded = old.oniceconnectionstatechange = old.onconnectionstatechange = old.ontrack = null;
      old.close();
    }
    rtc.tracks = {};
    rtc.stats = null;
    renderTiles();
  }

  function offer(pc) {
    if (pc !== rtc.pc || over) return;
    pc.setLocalDescription().then(function () { return gathered(pc); }).then(function () {
      if (pc !== rtc.pc || pc.signalingState !== "have-local-offer") return;  // rolled back meanwhile
      send({ type: "offer", sdp: pc.localDescription.sdp, sources: sources(pc) });
    }).catch(function () { /* a server offer got in between: negotiationneeded fires again */ });
  }

  function send(message) {
    if (!socket || !socket.connected) return;  // the reconnect offers again
    socket.timeout(15000).emit("signal", message, function (err, answer) {
      if (err || !answer) return;  // lost on the way: the socket's reconnect starts over
      if (answer.ok) return;
      refused(answer, message.type);
    });
  }

  function refused(answer, sent) {
    var code = answer.error;
    if (code === "replaced") return replaced();
    if (code === "negotiation_failed" || code === "offer_first") return restart(false, code);  // the server let our connection go
    // An answer to an offer the server has withdrawn is refused: the server offers again. A refused
    // offer (e.g. too many m-lines after many screen shares) needs a fresh connection.
    if (code === "bad_signal") return sent === "offer" ? restart(false, "offer refused") : undefined;
    if (["ended", "unknown_ticket", "not_in_visit", "forbidden", "not_admitted"].indexOf(code) >= 0) return ended(code === "forbidden" || code === "not_admitted" ? "refused" : "unknown");
    showError(answer.message || t("failed"));
  }

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
        .then(function () { return pc.setLocalDescription(); })
        .then(function () { return gathered(pc); })
        .then(function () { if (pc === rtc.pc) send({ type: "answer", sdp: pc.localDescription.sdp }); });
    } else if (pc.signalingState === "have-local-offer") {
      done = pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    } else {
      done = Promise.resolve();
    }
    return done.then(renderTiles, function (err) { if (pc === rtc.pc) restart(false, "apply " + message.type + ": " + (err && err.name) + " " + (err && err.message)); });
  }

  function onSignal(message) {
    rtc.inbox.push(message);
    if (rtc.handling) return;
    rtc.handling = true;
    (function next() {
      if (!rtc.inbox.length) { rtc.handling = false; return; }
      handle(rtc.inbox.shift()).then(next, next);
    })();
  }

  /* A new peer connection and a new offer: the server notices and starts over for us. */
  function restart(now, why) {
    if (over || !socket || !socket.connected) return;
    window.clearTimeout(rtc.restartTimer);
    status("reconnecting", "reconnecting");
    var delay = now ? 0 : rtc.restartDelay;
    rtc.restartDelay = Math.min(8000, rtc.restartDelay * 2);
    rtc.restarts.push(why || "");
    rtc.restartTimer = window.setTimeout(function () { if (!over) openPeer(); }, delay);
  }

  function watchIce(pc) {
    if (pc !== rtc.pc) return;
    window.clearTimeout(rtc.iceTimer);
    if (pc.iceConnectionState === "failed") restart(true, "ice failed");
    else if (pc.iceConnectionState === "disconnected") {
      status("reconnecting", "reconnecting");
      rtc.iceTimer = window.setTimeout(function () {
        if (pc === rtc.pc && pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed") restart(true, "ice disconnected");
      }, 4000);
    }
  }

  /* ---------- what we receive ---------- */

  function nameOf(participant) {
    var person = people[participant];
    if (!person) return t("someone");
    return person.name ? t("label." + person.role, { name: person.name }) : t("role." + person.role);
  }

  function wanted() {
    var pc = rtc.pc;
    var result = {};
    if (!pc) return result;
    pc.getTransceivers().forEach(function (tr) {
      var info = tr.mid !== null && rtc.tracks[tr.mid];
      if (!info || !tr.receiver.track) return;
      var key = info.participant + "/" + (info.source === "screen" ? "screen" : "camera");
      var entry = result[key] || (result[key] = { participant: info.participant, screen: info.source === "screen", tracks: [] });
      entry.tracks.push(tr.receiver.track);
    });
    return result;
  }

  function renderTiles() {
    var want = wanted();
    var before = {}, after = {};
    Object.keys(tiles).forEach(function (key) { before[tiles[key].participant] = true; });
    Object.keys(want).forEach(function (key) { after[want[key].participant] = true; });
    Object.keys(tiles).forEach(function (key) {
      if (want[key]) return;
      tiles[key].li.remove();
      delete tiles[key];
    });
    Object.keys(want).forEach(function (key) {
      var info = want[key];
      var tile = tiles[key] || (tiles[key] = makeTile(key, info));
      var ids = info.tracks.map(function (track) { return track.id; }).sort().join(",");
      if (tile.ids !== ids) {
        tile.ids = ids;
        tile.video.srcObject = new MediaStream(info.tracks);
        play(tile.video);
      }
      tile.label.textContent = info.screen ? t("screen_of", { name: nameOf(info.participant) }) : nameOf(info.participant);
      tile.video.setAttribute("aria-label", tile.label.textContent);
    });
    Object.keys(after).forEach(function (p) { if (!before[p]) announce(t("joined", { name: nameOf(p) })); });
    Object.keys(before).forEach(function (p) { if (!after[p] && !over) announce(t("left", { name: nameOf(p) })); });
    $("alone").hidden = Object.keys(tiles).length > 0;
  }

  function makeTile(key, info) {
    var li = document.createElement("li");
    li.className = "tile" + (info.screen ? " screen" : "");
    li.setAttribute("data-participant", info.participant);
    li.setAttribute("data-source", info.screen ? "screen" : "camera");
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    var label = document.createElement("p");
    label.className = "label";
    li.appendChild(video);
    li.appendChild(label);
    $("tiles").appendChild(li);
    return { li: li, video: video, label: label, participant: info.participant, ids: "" };
  }

  // Autoplay with sound may be refused until the page is touched: play muted, offer the sound.
  function play(video) {
    var attempt = video.play();
    if (!attempt || !attempt.catch) return;
    attempt.catch(function (err) {
      if (!err || err.name !== "NotAllowedError") return;
      video.muted = true;
      video.play().catch(function () {});
      $("sound").hidden = false;
    });
  }

  $("sound").addEventListener("click", function () {
    Object.keys(tiles).forEach(function (key) { tiles[key].video.muted = false; tiles[key].video.play().catch(function () {}); });
    $("sound").hidden = true;
  });

  /* ---------- connection quality (round trip, loss, frames) ---------- */

  function measure() {
    var pc = rtc.pc;
    if (!pc || pc.connectionState !== "connected") return;
    pc.getStats().then(function (report) {
      var rtt = null, lost = 0, received = 0, fps = [];
      report.forEach(function (s) {
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
        if (s.type === "inbound-rtp") {
          lost += s.packetsLost || 0;
          received += s.packetsReceived || 0;
          if (s.kind === "video" && s.framesPerSecond !== undefined) fps.push(s.framesPerSecond);
        }
      });
      var last = rtc.stats;
      rtc.stats = { lost: lost, received: received };
      var loss = 0;
      if (last && received + lost > last.received + last.lost) loss = (lost - last.lost) / (received + lost - last.received - last.lost);
      var minFps = fps.length ? Math.min.apply(null, fps) : null;
      var quality = "good";
      if ((rtt !== null && rtt > 0.6) || loss > 0.08 || (minFps !== null && minFps < 8)) quality = "poor";
      else if ((rtt !== null && rtt > 0.3) || loss > 0.02 || (minFps !== null && minFps < 15)) quality = "fair";
      var line = $("quality");
      if (line.getAttribute("data-quality") !== quality && quality === "poor") announce(t("quality.poor"));
      line.setAttribute("data-quality", quality);
      line.textContent = t("quality." + quality);
    }).catch(function () {});
  }
  window.setInterval(measure, QUALITY_SECONDS * 1000);

  /* ---------- controls ---------- */

  function toggle(button, pressed, onText, offText) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    announce(pressed ? onText : offText);
  }

  $("mute").addEventListener("click", function () {
    if (!local.mic) return;
    local.mic.enabled = !local.mic.enabled;
    toggle(this, !local.mic.enabled, t("muted"), t("unmuted"));
  });

  $("camera-off").addEventListener("click", function () {
    if (!local.camera) return;
    local.camera.enabled = !local.camera.enabled;
    toggle(this, !local.camera.enabled, t("camera_is_off"), t("camera_is_on"));
  });

  $("switch-camera").addEventListener("click", function () {
    if (local.cameras.length < 2) return;
    local.cameraIndex = (local.cameraIndex + 1) % local.cameras.length;
    var device = local.cameras[local.cameraIndex];
    navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: device.deviceId }, width: { ideal: 640 }, height: { ideal: 480 } } })
      .then(function (stream) {
        var track = stream.getVideoTracks()[0];
        track.enabled = !local.camera || local.camera.enabled;
        var old = local.camera;
        local.camera = track;
        if (old) old.stop();
        showOwn();
        if (rtc.cam) rtc.cam.sender.replaceTrack(track);  // same m-line: no renegotiation
        announce(t("camera_switched", { name: device.label || String(local.cameraIndex + 1) }));
      }).catch(function () { showError(t("switch_failed")); });
  });

  function stopShare() {
    if (!local.screen) return;
    local.screen.onended = null;
    local.screen.stop();
    local.screen = null;
    if (rtc.screen) {
      rtc.screen.sender.replaceTrack(null);
      rtc.screen.direction = "inactive";  // negotiationneeded: the others' screen tile goes away
    }
    rtc.screen = null;
    toggle($("share"), false, "", t("share_stopped"));
  }

  $("share").addEventListener("click", function () {
    if (local.screen) { stopShare(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) { showError(t("share_unsupported")); return; }
    navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(function (stream) {
      var track = stream.getVideoTracks()[0];
      if (!track || over) { stream.getTracks().forEach(function (tr) { tr.stop(); }); return; }
      local.screen = track;
      track.onended = stopShare;  // the browser's own "stop sharing"
      if (rtc.pc) rtc.screen = rtc.pc.addTransceiver(track, { direction: "sendonly" });
      toggle($("share"), true, t("share_started"), "");
    }).catch(function (err) {
      if (err && err.name !== "NotAllowedError") showError(t("share_failed"));
    });
  });

  $("leave").addEventListener("click", function () {
    if (me.role === "citizen") {
      $("leave-confirm").hidden = false;
      $("leave-no").focus();
      return;
    }
    ended(me.role === "guest" ? "guest_left" : "clerk_left");
  });
  $("leave-no").addEventListener("click", function () { $("leave-confirm").hidden = true; $("leave").focus(); });
  $("leave-yes").addEventListener("click", function () {
    var done = token
      ? fetch("/api/tickets/me", { method: "DELETE", headers: { Authorization: "Bearer " + token }, credentials: "omit" }).catch(function () {})
      : Promise.resolve();
    done.then(function () { ended("left"); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !$("leave-confirm").hidden) { $("leave-confirm").hidden = true; $("leave").focus(); }
  });

  /* ---------- colleagues (the serving clerk adds and lets go) ---------- */

  function call(event, data) {
    return new Promise(function (resolve) {
      socket.timeout(10000).emit(event, data || {}, function (err, answer) {
        resolve(err || !answer ? { ok: false, message: t("failed") } : answer);
      });
    });
  }

  function loadColleagues() {
    if (me.role !== "clerk") return;
    call("colleagues").then(function (answer) {
      if (!answer.ok) return;
      var select = $("colleague-choice");
      var chosen = select.value;
      select.textContent = "";
      answer.colleagues.filter(function (c) { return !c.invited; }).forEach(function (c) {
        var option = document.createElement("option");
        option.value = c.id;
        option.textContent = c.name;
        option.selected = c.id === chosen;
        select.appendChild(option);
      });
      $("invite").disabled = !select.options.length;
      select.disabled = !select.options.length;
    });
  }

  function renderGuests() {
    var list = $("guest-list");
    list.textContent = "";
    Object.keys(people).forEach(function (participant) {
      var person = people[participant];
      if (person.role !== "guest") return;
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = person.name;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = t("dismiss");
      button.setAttribute("aria-label", t("dismiss.label", { name: person.name }));
      button.addEventListener("click", function () {
        call("dismiss", { clerk_id: participant.replace(/^clerk:/, "") }).then(function (answer) {
          if (answer.ok) announce(t("dismissed", { name: person.name }));
          else showError(answer.message);
        });
      });
      li.appendChild(name);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  $("invite").addEventListener("click", function () {
    var select = $("colleague-choice");
    var id = select.value;
    if (!id) return;
    var name = select.options[select.selectedIndex].textContent;
    call("invite", { clerk_id: id }).then(function (answer) {
      if (answer.ok) announce(t("invited", { name: name }));
      else showError(answer.message);
    });
  });

  /* ---------- the end ---------- */

  function hangUp() {
    over = true;
    window.clearTimeout(rtc.restartTimer);
    closePeer();
    stopLocal();
    Object.keys(tiles).forEach(function (key) { tiles[key].li.remove(); delete tiles[key]; });
  }

  function tellWidget() {
    var parentOrigin = stored(PARENT_KEY);
    if (window.parent === window || !parentOrigin) return;
    try { window.parent.postMessage({ source: "virtual-office", type: "state", in_queue: false }, parentOrigin); } catch (e) { /* gone */ }
  }

  function ended(reason) {
    if (over && reason !== "replaced") return;
    hangUp();
    if (socket && reason !== "replaced") { var old = socket; socket = null; old.disconnect(); }
    var citizen = me.role === "citizen" || (!me.role && token);
    var back = citizen && (reason === "sent_back" || reason === "transferred") && config.waiting_room_url;
    if (citizen && !back && ["finished", "left", "no_show", "removed", "expired", "unknown"].indexOf(reason) >= 0) {
      forget(config.storage_key);
      tellWidget();
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
    status("live", null);
    $("ended-heading").focus();
  }

  function replaced() {
    ended("replaced");
  }

  $("rejoin").addEventListener("click", function () {
    window.location.reload();  // a fresh start takes the media over again
  });

  /* ---------- socket.io ---------- */

  var socket = null;

  function start() {
    startLocal().then(function () {
      if (over) { stopLocal(); return; }
      started = true;
      openPeer();
    });
  }

  function connect() {
    if (typeof window.io !== "function") { showError(t("failed")); return; }
    status("connecting", "connecting");
    socket = window.io("/visit", {
      auth: { visit: config.visit_id, token: token, lang: config.lang },
      query: { visit: config.visit_id },  // lets a proxy keep a visit on one process (docs/media.md)
      transports: ["websocket", "polling"]
    });
    window.VirtualOfficeVisit.socket = socket;
    var everConnected = false;
    socket.on("connect", function () {
      call("whoami").then(function (answer) {
        if (!answer.ok) { refused(answer); return; }
        me = { participant: answer.participant, role: answer.role };
        document.body.setAttribute("data-role", me.role);
        $("colleagues").hidden = me.role !== "clerk";
        // the serving clerk in the console finishes there; elsewhere "leave" only hangs up
        $("leave").hidden = me.role === "clerk" && config.console;
        $("leave").textContent = me.role === "citizen" ? t("leave.citizen") : t("leave.staff");
        loadColleagues();
        if (!everConnected) { everConnected = true; start(); }
        else if (started) restart(true, "socket reconnected");  // the server let our media go with the old socket
      });
    });
    socket.on("disconnect", function (reason) {
      if (over) return;
      status("reconnecting", "reconnecting");
      if (reason === "io server disconnect") window.setTimeout(function () { if (socket) socket.connect(); }, 2000);
    });
    socket.on("connect_error", function (err) {
      var code = err && err.data && err.data.error;
      if (["unknown_ticket", "not_in_visit", "forbidden", "not_authenticated", "origin_not_allowed"].indexOf(code) >= 0) {
        ended(code === "unknown_ticket" ? "unknown" : "refused");
        return;
      }
      status("reconnecting", "reconnecting");
      if (socket && !socket.active) window.setTimeout(function () { if (socket) socket.connect(); }, 3000);
    });
    socket.on("signal", onSignal);
    socket.on("participants", function (data) {
      people = {};
      ((data && data.participants) || []).forEach(function (p) { people[p.participant] = { name: p.name, role: p.role }; });
      renderTiles();
      renderGuests();
      loadColleagues();
    });
    socket.on("replaced", replaced);
    socket.on("ended", function (data) { ended((data && data.reason) || "finished"); });
  }

  window.addEventListener("pagehide", function () { if (rtc.pc) rtc.pc.close(); });

  // For the exchange panels (the same socket and credentials), tests and diagnostics: the peer
  // connection, the latest track map, and why it started over.
  window.VirtualOfficeVisit = { socket: null, token: token, pc: function () { return rtc.pc; },
                                tracks: function () { return rtc.tracks; }, restarts: function () { return rtc.restarts; } };

  connect();
})();
