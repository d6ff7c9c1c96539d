/* The video visit: one peer connection to the office server, signaling over socket.io (/visit).
 *
 * The server relays every participant's media; this page sends its microphone, camera and
 * (when shared) screen, and shows what the server's offers say it receives (`tracks`: mid ->
 * participant and source). Server messages are handled strictly in order; the server is the
 * impolite side, so an offer of ours that crosses one of its offers is rolled back and sent again.
 * A lost connection is rebuilt with a fresh peer connection and a new offer; the visit goes on.
 * Nothing is recorded. Every value from the server is shown with textContent, never as HTML.
 *
 * The page is built from a few modules, in this order: state.js (this file: what the others
 * share, as VO.visit), media.js (our camera, microphone and screen), peer.js (the connection
 * and its signaling), tiles.js (what we receive, and its quality), colleagues.js, and visit.js
 * (who we are, the end of the visit, the socket).
 */
(function (VO) {
  "use strict";

  var $ = VO.$;
  var config = VO.config("visit-config");
  var t = VO.translator(config.strings);

  var V = VO.visit = {
    config: config,
    t: t,
    token: VO.kept(config.storage_key),  // the citizen's, kept by the waiting room (VO.keep)
    socket: null,
    me: { participant: null, role: null },
    people: {},  // participant -> {name, role}
    local: { mic: null, camera: null, screen: null, cameras: [], cameraIndex: 0, pending: null },
    rtc: { pc: null, mic: null, cam: null, screen: null, tracks: {}, inbox: [], handling: false,
           restartTimer: 0, restartDelay: 1000, restarts: [], iceTimer: 0, stats: null,
           connectedBefore: false, statusTimer: 0 },
    tiles: {},  // key (participant + "/" + camera|screen) -> {li, video, stream, ids}
    over: false,
    started: false
  };

  V.announce = VO.announcer("announcer");

  /* A connection that does not come up in this time gets an explanation and a way forward. */
  var STUCK_MS = 20000;
  var stuckTimer = 0;

  V.status = function (state, key) {
    var line = $("connection");
    line.setAttribute("data-state", state);
    line.textContent = key ? t(key) : "";
    if (state === "connecting" || state === "reconnecting") {
      if (!stuckTimer) {
        stuckTimer = window.setTimeout(function () {
          stuckTimer = 0;
          if (!V.over && !V.noVideo) V.videoHelp("stuck");
        }, STUCK_MS);
      }
    } else {
      window.clearTimeout(stuckTimer);
      stuckTimer = 0;
      if (state === "live") V.videoHelp(null);
    }
  };

  /* Why there is no video and what to do (kind: "no_webrtc" or "stuck"); null hides it. */
  V.videoHelp = function (kind) {
    var box = $("video-help");
    if (!kind) { box.hidden = true; return; }
    if (!box.hidden && box.getAttribute("data-kind") === kind) return;
    box.setAttribute("data-kind", kind);
    $("video-help-heading").textContent = t(kind + ".heading");
    $("video-help-text").textContent = t(kind + ".text");
    $("video-help-retry").hidden = kind !== "stuck";
    box.hidden = false;
  };

  V.showError = function (text) {
    var box = $("media-error");
    box.textContent = text || "";
    box.hidden = !text;
  };

  /* An event to the server and its answer; {ok: false} when there is none within 10 s. */
  V.call = function (event, data) {
    return new Promise(function (resolve) {
      V.socket.timeout(10000).emit(event, data || {}, function (err, answer) {
        resolve(err || !answer ? { ok: false, message: t("failed") } : answer);
      });
    });
  };
})(window.VO);
