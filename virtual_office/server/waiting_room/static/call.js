/* Being called: the notice with its countdown, a tone, a system notification when the tab is
 * in the background, and accepting the call (which opens the visit). */
(function (VO, R) {
  "use strict";

  var $ = VO.$;
  var t = R.t;
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var call = { deadline: 0, timer: 0, title: 0, alerted: null };
  var originalTitle = document.title;

  var audio = null;
  R.prepareSound = function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      audio = audio || new Ctx();
      if (audio.state === "suspended") audio.resume().catch(function () {});
    } catch (e) { audio = null; }
  };
  // after a reload the sound may only start once the citizen has touched the page
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, R.prepareSound, { once: true });
  });

  function playTone() {
    R.prepareSound();
    if (!audio) return;
    var start = audio.currentTime + 0.05;
    [0, 0.45, 0.9].forEach(function (offset, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = i === 2 ? 1046 : 784;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.35, start + offset + 0.04);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.38);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.4);
    });
  }

  function notify(ticket) {
    if (VO.stored(R.NOTIFY_KEY) !== "1" || !("Notification" in window) || window.Notification.permission !== "granted") return;
    if (!document.hidden && document.hasFocus()) return;  // the page itself shows it
    try {
      var note = new window.Notification(t("called.title"), { body: t("called.alert", { number: ticket.number }), tag: "virtual-office-call" });
      note.onclick = function () { window.focus(); note.close(); };
    } catch (e) { /* some browsers only allow notifications from a service worker */ }
  }

  function titleTick() {
    // a changing title only while the tab is in the background, and never for reduced motion
    var calledTitle = t("called.title");
    if (reducedMotion || !document.hidden) document.title = calledTitle;
    else document.title = document.title === calledTitle ? originalTitle : calledTitle;
  }

  function countdown() {
    var seconds = Math.max(0, Math.round((call.deadline - Date.now()) / 1000));
    $("countdown").textContent = seconds > 0 ? t("called.seconds", { n: seconds }) : t("called.expired");
    titleTick();
  }

  R.showCall = function (ticket) {
    call.deadline = Date.now() + ticket.call.seconds_left * 1000;
    call.url = ticket.call.visit_url;
    if (R.last.state === "called") return;  // already showing; the deadline is refreshed
    $("called").hidden = false;
    $("accept-error").hidden = true;
    R.withNumber($("call-alert"), t("called.alert", { number: "\u0000" }), ticket.number);
    window.clearInterval(call.timer);
    call.timer = window.setInterval(countdown, 1000);
    countdown();
    // One sound and one notification per call (a call is known by its end), however often it is shown.
    var id = ticket.number + " " + ticket.call.expires_at;
    if (call.alerted !== id) {
      call.alerted = id;
      playTone();
      notify(ticket);
    }
    $("accept").focus();
  };

  /* text into box, its "\0" replaced by the ticket's number, which never breaks across lines. */
  R.withNumber = function (box, text, number) {
    var parts = text.split("\u0000");
    box.textContent = "";
    parts.forEach(function (part, i) {
      if (i > 0) {
        var span = document.createElement("span");
        span.className = "nowrap";
        span.textContent = number;
        box.appendChild(span);
      }
      box.appendChild(document.createTextNode(part));
    });
  };

  R.endCall = function () {
    if (!call.timer) return;
    window.clearInterval(call.timer);
    call.timer = 0;
    $("called").hidden = true;
    $("call-alert").textContent = "";
    document.title = originalTitle;
  };

  $("accept").addEventListener("click", function () {
    if (!R.socket) return;
    var button = this;
    button.setAttribute("aria-disabled", "true");
    R.socket.timeout(10000).emit("accept", {}, function (err, answer) {
      button.removeAttribute("aria-disabled");
      if (!err && answer && answer.ok && answer.visit_url) {
        window.location.assign(answer.visit_url);
        return;
      }
      var box = $("accept-error");
      box.textContent = (answer && answer.message) || t("accept_failed");
      box.hidden = false;
    });
  });
})(window.VO, window.VO.room);
