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

  /* which: help-denied (denied: "both", "camera" or "microphone"), help-missing, help-other or null. */
  function showHelp(which, denied) {
    ["help-denied", "help-missing", "help-other"].forEach(function (id) { $(id).hidden = id !== which; });
    if (which === "help-denied") {
      var kind = denied || "both";
      $("help-denied").setAttribute("data-denied", kind);
      $("help-denied-heading").textContent = t("check.denied." + kind + ".heading");
      $("help-denied-text").textContent = t("check.denied." + kind + ".text");
      $("help-denied-step2").textContent = t("check.denied." + kind + ".step2");
    }
  }

  /* After a test: one way on, never two that look alike ("Continue" once something works,
   * "Continue without testing" otherwise). */
  function showWayOn(works) {
    $("check-next").hidden = !works;
    $("check-skip").hidden = works;
  }

  function problem(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") return "denied";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "missing";
    return "other";
  }

  /* Camera and microphone asked for one by one, after asking for both together failed:
   * which of them works, and why the other does not. */
  function oneByOne(constraints) {
    function ask(kind) {
      var one = {};
      one[kind] = constraints[kind];
      return navigator.mediaDevices.getUserMedia(one).then(function (stream) {
        return { stream: stream, problem: null };
      }, function (err) { return { stream: null, problem: problem(err) }; });
    }
    return ask("audio").then(function (audio) {
      return ask("video").then(function (video) { return { audio: audio, video: video }; });
    });
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

  /* Resolves with what works: {audio, video} (both false when nothing does). */
  function startCheck() {
    R.stopCheck();
    showHelp(null);
    $("connection-check").setAttribute("data-state", "idle");
    $("connection-check").textContent = "";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showHelp("help-other");
      showWayOn(false);
      return Promise.resolve({ audio: false, video: false });
    }
    var camera = $("camera-choice").value;
    var microphone = $("microphone-choice").value;
    var constraints = {
      video: camera ? { deviceId: { exact: camera } } : true,
      audio: microphone ? { deviceId: { exact: microphone } } : true
    };
    var nothing = { audio: false, video: false };
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      return show(stream, null);
    }, function () {
      return oneByOne(constraints).then(function (got) {
        var tracks = [];
        [got.audio.stream, got.video.stream].forEach(function (s) { if (s) tracks = tracks.concat(s.getTracks()); });
        var audioProblem = got.audio.problem, videoProblem = got.video.problem;
        if (audioProblem === "denied" || videoProblem === "denied") {
          var denied = audioProblem === "denied" && videoProblem === "denied" ? "both"
            : videoProblem === "denied" ? "camera" : "microphone";
          showHelp("help-denied", denied);
        } else if (audioProblem === "missing" || videoProblem === "missing") {
          showHelp("help-missing");
        } else if (audioProblem || videoProblem) {
          showHelp("help-other");
        }
        if (!tracks.length) {
          $("preview").hidden = true;
          showWayOn(false);
          return nothing;
        }
        return show(new MediaStream(tracks), audioProblem || videoProblem);
      });
    }).catch(function () {
      $("preview").hidden = true;
      showHelp("help-other");
      showWayOn(false);
      return nothing;
    });
  }

  /* The preview of what works; partly: only one of camera and microphone does. */
  function show(stream, partly) {
    var works = { audio: stream.getAudioTracks().length > 0, video: stream.getVideoTracks().length > 0 };
    if ($("step-check").hidden) {  // the citizen moved on meanwhile
      stream.getTracks().forEach(function (track) { track.stop(); });
      return works;
    }
    check.stream = stream;
    $("preview").hidden = false;
    $("preview-video").hidden = !works.video;
    $("preview-video").srcObject = stream;
    meter(stream);
    showWayOn(true);
    var video = stream.getVideoTracks()[0];
    var audio = stream.getAudioTracks()[0];
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      fillChoices($("camera-choice"), devices, "videoinput", video && video.getSettings().deviceId);
      fillChoices($("microphone-choice"), devices, "audioinput", audio && audio.getSettings().deviceId);
      if (!partly) R.announce(t("check.working"));
      return works;
    }, function () { return works; });
  }

  /* Hook for the connection check through the server, provided with the video visit:
   * a script may set window.VirtualOfficeConnectionCheck = function (officeId) -> Promise<{ok, text}>.
   * Until then the page says the check is not available; it never invents a result. */
  function runConnectionCheck(works) {
    var out = $("connection-check");
    if (!window.RTCPeerConnection) {  // whatever camera and microphone do, video cannot work here
      out.setAttribute("data-state", "failed");
      out.textContent = t("check.no_webrtc");
      return;
    }
    if (!works || (!works.audio && !works.video)) return;  // the help above says why; nothing to send
    var provider = window.VirtualOfficeConnectionCheck;
    if (typeof provider !== "function") {
      out.setAttribute("data-state", "unavailable");
      out.textContent = t("check.connection_unavailable");
      return;
    }
    out.setAttribute("data-state", "running");
    out.textContent = t("check.connection_running");
    Promise.resolve(provider(R.config.office_id, works)).then(function (result) {
      var ok = !!(result && result.ok);
      var key = !ok ? "check.connection_failed"
        : works.audio && works.video ? "check.connection_ok"
        : works.audio ? "check.connection_ok_audio" : "check.connection_ok_video";
      out.setAttribute("data-state", ok ? "ok" : "failed");
      out.textContent = (result && result.text) || t(key);
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
