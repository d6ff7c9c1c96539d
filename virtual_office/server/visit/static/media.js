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

  V.startLocal = function () {
    return getMedia().then(function (stream) {
      if (!stream) {
        V.showError(t("no_devices"));
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
  };

  function showOwn() {
    var own = $("own-video");
    own.srcObject = local.camera ? new MediaStream([local.camera]) : null;
    own.play().catch(function () {});
  }

  V.stopLocal = function () {
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
      if (rtc.pc) rtc.screen = rtc.pc.addTransceiver(track, { direction: "sendonly" });
      toggle($("share"), true, t("share_started"), "");
    }).catch(function (err) {
      if (err && err.name !== "NotAllowedError") V.showError(t("share_failed"));
    });
  });
})(window.VO, window.VO.visit);
