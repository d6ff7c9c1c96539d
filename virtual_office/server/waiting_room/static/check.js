/* The connection check of the waiting room's device step: for a few seconds the server echoes
 * this browser's own camera and microphone back (POST /api/connection-check), over the same
 * path, codecs and ICE settings as a visit. Nothing is stored. Provides the waiting room's hook
 * window.VirtualOfficeConnectionCheck(officeId, works?) -> Promise<{ok, text?}>, works saying
 * which of {audio, video} the device check got (the camera or the microphone may be refused). */
(function (VO) {
  "use strict";

  var SECONDS = 8;

  function wait(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  function echoed(pc) {
    return pc.getStats().then(function (report) {
      var frames = 0, audio = 0;
      report.forEach(function (s) {
        if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
        if (s.type === "inbound-rtp" && s.kind === "audio") audio += s.packetsReceived || 0;
      });
      return { frames: frames, audio: audio };
    });
  }

  function media(works) {
    var video = { width: { ideal: 320 }, height: { ideal: 240 } };
    var wanted = works && (works.audio || works.video) ? works : { audio: true, video: true };
    var first = { audio: !!wanted.audio, video: wanted.video ? video : false };
    return navigator.mediaDevices.getUserMedia(first).catch(function () {
      return navigator.mediaDevices.getUserMedia(first.audio ? { audio: true } : { video: video });
    });
  }

  function check(servers, works) {
    var pc = new RTCPeerConnection({ iceServers: servers });
    var stream = null;
    var lang = document.documentElement.lang || "de";
    function done(result) {
      pc.close();
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      return result;
    }
    return media(works)
      .then(function (s) {
        stream = s;
        stream.getTracks().forEach(function (track) { pc.addTransceiver(track, { direction: "sendrecv" }); });
        return pc.setLocalDescription();
      })
      .then(function () { return VO.gathered(pc, 5000); })  // then offer what was gathered so far
      .then(function () {
        return fetch("/api/connection-check?lang=" + encodeURIComponent(lang), {
          method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
          body: JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp })
        });
      })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw { text: body && body.message };
          return pc.setRemoteDescription(body);
        });
      })
      .then(function () {
        var video = stream.getVideoTracks().length > 0;
        var tries = SECONDS * 4;
        return (function poll() {
          return echoed(pc).then(function (seen) {
            if (video ? seen.frames > 0 : seen.audio > 0) return done({ ok: true });
            if (--tries <= 0) return done({ ok: false });
            return wait(250).then(poll);
          });
        })();
      })
      .catch(function (err) { return done({ ok: false, text: err && err.text }); });
  }

  window.VirtualOfficeConnectionCheck = function (officeId, works) {
    if (!window.RTCPeerConnection || !navigator.mediaDevices) return Promise.resolve({ ok: false });
    return fetch("/api/connection-check", { credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(function (body) { return check(body.ice_servers || [], works); }, function () { return { ok: false }; });
  };
})(window.VO);
