/* The visit's own media: microphone, camera and a shared screen, and the buttons for them. */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;
  var local = V.local;
  var rtc = V.rtc;

  function getMedia() {
    var video = { width: { ideal: 640 }, height: { ideal: 480 } };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return Promise.resolve(null);
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video })
      .catch(function () { return navigator.mediaDevices.getUserMedia({ audio: true }); })
      .catch(function () { return navigator.mediaDevices.getUserMedia({ video: video }); })
      .catch(function () { return null; });
  }

  /* The page's own camera and microphone. The visit does not wait for them: the connection
   * comes up at once (the others are seen and heard) and the tracks join its m-lines when they
   * come. Firefox holds getUserMedia back, and enumerateDevices too, while the window has no
   * focus (the clerk works in another window when the citizen steps in): until then a hint says
   * so, and a click or the focus brings them. Returns a promise that settles when they came (or not). */
  V.startLocal = function () {
    if (local.pending) return local.pending;
    local.pending = getMedia().then(function (stream) {
      local.pending = null;
      V.waitingForDevices(false);
      if (V.over) {
        if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
        return;
      }
      if (!stream) {
        V.showError(t("no_devices"));
        return;
      }
      local.mic = stream.getAudioTracks()[0] || null;
      local.camera = stream.getVideoTracks()[0] || null;
      showOwn();
      $("mute").disabled = !local.mic;
      $("camera-off").disabled = !local.camera;
      V.attachLocal();
      listCameras();
    });
    window.setTimeout(function () { if (local.pending && !V.over) V.waitingForDevices(!hasFocus()); }, 800);
    return local.pending;
  };

  /* Our tracks into the current connection: the same m-lines, no renegotiation. */
  V.attachLocal = function () {
    if (rtc.mic && rtc.mic.sender.track !== local.mic) rtc.mic.sender.replaceTrack(local.mic).catch(function () {});
    if (rtc.cam && rtc.cam.sender.track !== local.camera) rtc.cam.sender.replaceTrack(local.camera).catch(function () {});
  };

  // Never waited for: in a window without the focus Firefox answers only once it has it.
  function listCameras() {
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      local.cameras = devices.filter(function (d) { return d.kind === "videoinput"; });
      var current = local.camera && local.camera.getSettings().deviceId;
      local.cameraIndex = Math.max(0, local.cameras.map(function (d) { return d.deviceId; }).indexOf(current));
      $("switch-camera").hidden = local.cameras.length < 2;
    }).catch(function () {});
  }

  /* ---------- camera and microphone held back until the window has the focus ---------- */

  // In the console the visit is a frame: the console's window is the one that has the focus or not.
  function hasFocus() {
    try { return window.top.document.hasFocus(); } catch (e) { return document.hasFocus(); }
  }

  var devicesHint = document.createElement("button");
  devicesHint.type = "button";
  devicesHint.id = "devices-hint";
  devicesHint.className = "devices-hint";
  devicesHint.hidden = true;
  devicesHint.textContent = t("devices_waiting");
  $("tiles").parentNode.insertBefore(devicesHint, $("tiles"));
  var pageTitle = document.title;

  /* Shows (waiting: true) or hides the hint; the page's title and, in the console, the console's say so too. */
  V.waitingForDevices = function (waiting) {
    waiting = !!waiting && !V.over;
    if (waiting === !devicesHint.hidden) return;
    devicesHint.hidden = !waiting;
    document.title = waiting ? t("devices_waiting.title", { title: pageTitle }) : pageTitle;
    if (waiting) V.announce(t("devices_waiting"));
    if (V.config.console && window.parent !== window) {
      try { window.parent.postMessage({ source: "virtual-office", type: "devices_waiting", waiting: waiting }, window.location.origin); } catch (e) { /* gone */ }
    }
  };

  devicesHint.addEventListener("click", function () { window.focus(); });  // the focus lets the request through
  function recheck() {
    if (local.pending) window.setTimeout(function () { V.waitingForDevices(local.pending && !hasFocus()); }, 0);
  }
  (window.top === window ? [window] : [window, window.top]).forEach(function (w) {
    try {
      w.addEventListener("focus", recheck);
      w.addEventListener("blur", recheck);
    } catch (e) { /* another origin's window */ }
  });

  function showOwn() {
    var own = $("own-video");
    own.srcObject = local.camera ? new MediaStream([local.camera]) : null;
    own.play().catch(function () {});
  }

  V.stopLocal = function () {
    V.waitingForDevices(false);
    [local.mic, local.camera, local.screen].forEach(function (track) { if (track) track.stop(); });
    local.mic = local.camera = local.screen = null;
    $("own-video").srcObject = null;
  };

  /* ---------- controls ---------- */

  function toggle(button, pressed, onText, offText) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    V.announce(pressed ? onText : offText);
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
        V.announce(t("camera_switched", { name: device.label || String(local.cameraIndex + 1) }));
      }).catch(function () { V.showError(t("switch_failed")); });
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
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) { V.showError(t("share_unsupported")); return; }
    navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(function (stream) {
      var track = stream.getVideoTracks()[0];
      if (!track || V.over) { stream.getTracks().forEach(function (tr) { tr.stop(); }); return; }
      local.screen = track;
      track.onended = stopShare;  // the browser's own "stop sharing"
      if (rtc.pc) {
        rtc.screen = rtc.pc.addTransceiver(track, { direction: "sendonly" });
        V.e2ee.transform(rtc.screen.sender, "video", "send");
      }
      toggle($("share"), true, t("share_started"), "");
    }).catch(function (err) {
      if (err && err.name !== "NotAllowedError") V.showError(t("share_failed"));
    });
  });
})(window.VO, window.VO.visit);
