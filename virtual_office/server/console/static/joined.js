/* Someone joined a queue nobody was waiting in: said, a beep and (the page hidden) a desktop notification. */
(function (VO, C) {
  "use strict";

  var $ = VO.find;
  var S = C.S;
  var state = C.state;

  /* Browsers let a page play sound only after the user did something on it. */
  function unlockAudio() {
    if (state.audio || !(window.AudioContext || window.webkitAudioContext)) return;
    try { state.audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { state.audio = null; }
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  function beep() {
    var ctx = state.audio;
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    [0, 0.22].forEach(function (offset) {
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, ctx.currentTime + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + offset + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + offset);
      osc.stop(ctx.currentTime + offset + 0.2);
    });
  }

  C.someoneJoined = function (officeId) {
    var text = C.fmt("joined", { office: C.officeName(officeId) });
    C.say(text);
    beep();
    document.body.dataset.lastJoin = officeId;
    // The notification names the office only: no names or concerns on the screen's edge.
    if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
      try { new Notification(S["joined.title"], { body: text, tag: "vo-join-" + officeId }); } catch (e) { /* not allowed here */ }
    }
  };

  var notifyButton = $("#notify-enable");
  function notifyState() {
    if (!("Notification" in window)) { $("#notify-state").textContent = S["notify.unsupported"]; return; }
    notifyButton.hidden = Notification.permission !== "default";
    $("#notify-state").textContent = Notification.permission === "granted" ? S["notify.on"]
      : Notification.permission === "denied" ? S["notify.denied"] : "";
  }
  notifyButton.addEventListener("click", function () {
    unlockAudio();
    Notification.requestPermission().then(notifyState);
  });
  notifyState();
})(window.VO, window.VO.console);
