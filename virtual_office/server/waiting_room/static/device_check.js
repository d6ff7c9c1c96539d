/* The waiting room's device step: camera preview, microphone level, the choice of devices,
 * and the connection check through the server (check.js) when it is there. */
(function (VO, R) {
  "use strict";

  var $ = VO.$;
  var t = R.t;
  var check = { stream: null, audio: null, frame: 0 };

  R.stopCheck = function () {
    if (check.frame) window.cancelAnimationFrame(check.frame);
    check.frame = 0;
    if (check.stream) check.stream.getTracks().forEach(function (track) { track.stop(); });
    check.stream = null;
    if (check.audio) check.audio.close().catch(function () {});
    check.audio = null;
    $("preview-video").srcObject = null;
    $("mic-level").value = 0;
  };

  function showHelp(which) {
    ["help-denied", "help-missing", "help-other"].forEach(function (id) { $(id).hidden = id !== which; });
  }

  function fillChoices(select, devices, kind, current) {
    select.textContent = "";
    devices.filter(function (d) { return d.kind === kind; }).forEach(function (device, i) {
      var option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || t(kind === "videoinput" ? "check.camera_n" : "check.microphone_n", { n: i + 1 });
      option.selected = device.deviceId === current;
      select.appendChild(option);
    });
  }

  function meter(stream) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx || !stream.getAudioTracks().length) return;
    check.audio = new Ctx();
    var analyser = check.audio.createAnalyser();
    analyser.fftSize = 512;
    check.audio.createMediaStreamSource(stream).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    var level = $("mic-level");
    function tick() {
      analyser.getByteTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i] - 128));
      level.value = Math.min(100, Math.round(peak / 128 * 200));
      level.textContent = String(level.value);
      check.frame = window.requestAnimationFrame(tick);
    }
    tick();
  }

  function startCheck() {
    R.stopCheck();
    showHelp(null);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showHelp("help-other");
      return Promise.resolve();
    }
    var camera = $("camera-choice").value;
    var microphone = $("microphone-choice").value;
    var constraints = {
      video: camera ? { deviceId: { exact: camera } } : true,
      audio: microphone ? { deviceId: { exact: microphone } } : true
    };
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      if ($("step-check").hidden) {  // the citizen moved on meanwhile
        stream.getTracks().forEach(function (track) { track.stop(); });
        return;
      }
      check.stream = stream;
      $("preview").hidden = false;
      $("preview-video").srcObject = stream;
      meter(stream);
      var video = stream.getVideoTracks()[0];
      var audio = stream.getAudioTracks()[0];
      return navigator.mediaDevices.enumerateDevices().then(function (devices) {
        fillChoices($("camera-choice"), devices, "videoinput", video && video.getSettings().deviceId);
        fillChoices($("microphone-choice"), devices, "audioinput", audio && audio.getSettings().deviceId);
        R.announce(t("check.working"));
      });
    }).catch(function (err) {
      var name = err && err.name;
      $("preview").hidden = true;
      if (name === "NotAllowedError" || name === "SecurityError") showHelp("help-denied");
      else if (name === "NotFoundError" || name === "OverconstrainedError") showHelp("help-missing");
      else showHelp("help-other");
    });
  }

  /* Hook for the connection check through the server, provided with the video visit:
   * a script may set window.VirtualOfficeConnectionCheck = function (officeId) -> Promise<{ok, text}>.
   * Until then the page says the check is not available; it never invents a result. */
  function runConnectionCheck() {
    var out = $("connection-check");
    var provider = window.VirtualOfficeConnectionCheck;
    if (typeof provider !== "function") {
      out.setAttribute("data-state", "unavailable");
      out.textContent = t("check.connection_unavailable");
      return;
    }
    out.setAttribute("data-state", "running");
    out.textContent = t("check.connection_running");
    Promise.resolve(provider(R.config.office_id)).then(function (result) {
      out.setAttribute("data-state", result && result.ok ? "ok" : "failed");
      out.textContent = (result && result.text) || t(result && result.ok ? "check.connection_ok" : "check.connection_failed");
    }, function () {
      out.setAttribute("data-state", "failed");
      out.textContent = t("check.connection_failed");
    });
  }

  $("check-start").addEventListener("click", function () { startCheck().then(runConnectionCheck); });
  $("camera-choice").addEventListener("change", startCheck);
  $("microphone-choice").addEventListener("change", startCheck);
  $("check-next").addEventListener("click", function () { R.showStep("step-join"); });
  $("check-skip").addEventListener("click", function () { R.showStep("step-join"); });
})(window.VO, window.VO.room);
