/* The citizen's waiting room: consent, details, device check, joining, waiting, being called.
 *
 * The ticket's token stays in this tab's sessionStorage (kept across reloads, gone with
 * the tab) and only travels in the join response and the socket.io auth, never in a URL.
 * Framed by the widget's dialog, the page speaks the widget's postMessage protocol
 * (virtual_office/widget/README.md) with the embedding page's origin only.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("room-config").textContent);
  var MSG_SOURCE = "virtual-office";
  var PARENT_KEY = "virtual-office.parent";
  var NOTIFY_KEY = "virtual-office.notify";

  function $(id) { return document.getElementById(id); }

  function t(key, values) {
    var text = config.strings[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  function stored(key) { try { return window.sessionStorage.getItem(key); } catch (e) { return null; } }
  function store(key, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) { /* storage off: the place lasts as long as the page */ }
  }

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  /* ---------- talking to the widget that framed us ---------- */

  function allowedParent(origin) {
    if (!origin || origin === "null") return false;
    if (origin === window.location.origin) return true;
    var allowed = config.frame_ancestors || [];
    return allowed.indexOf("*") >= 0 || allowed.indexOf(origin) >= 0;
  }

  function findParent() {
    if (window.parent === window) return null;
    var candidates = [];
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length) candidates.push(ancestors[0]);
    else {
      candidates.push(stored(PARENT_KEY));  // after a navigation inside the frame the referrer is our own page
      try { candidates.push(new URL(document.referrer).origin); } catch (e) { /* no referrer */ }
    }
    for (var i = 0; i < candidates.length; i++) {
      if (allowedParent(candidates[i])) {
        store(PARENT_KEY, candidates[i]);
        return candidates[i];
      }
    }
    return null;
  }

  var parentOrigin = findParent();

  function post(type, extra) {
    if (!parentOrigin) return;
    var msg = { source: MSG_SOURCE, type: type };
    Object.keys(extra || {}).forEach(function (k) { msg[k] = extra[k]; });
    window.parent.postMessage(msg, parentOrigin);
  }

  window.addEventListener("message", function (event) {
    if (!parentOrigin || event.origin !== parentOrigin || event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.source !== MSG_SOURCE) return;
    if (data.type === "leave") {
      leaveQueue().then(function () { post("left"); });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!$("leave-confirm").hidden) {
      hideLeaveConfirm();
      return;
    }
    post("escape");  // keys inside the frame do not reach the widget's dialog
  });

  /* ---------- steps ---------- */

  var live = $("announcer");
  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function showStep(id) {
    Array.prototype.forEach.call(document.querySelectorAll("section.step"), function (section) {
      section.hidden = section.id !== id;
    });
    if (id !== "step-check") stopCheck();
    var heading = $(id).querySelector("h2");
    if (heading) heading.focus();
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.back"), function (button) {
    button.addEventListener("click", function () { showStep(button.getAttribute("data-step")); });
  });

  $("privacy-next").addEventListener("click", function () {
    var consent = $("consent");
    if (!consent.checked) {
      $("consent-error").hidden = false;
      consent.setAttribute("aria-invalid", "true");
      consent.focus();
      return;
    }
    $("consent-error").hidden = true;
    consent.removeAttribute("aria-invalid");
    showStep("step-details");
  });

  $("concern").addEventListener("change", function () {
    var other = this.value === "__other";
    $("concern-other-field").hidden = !other;
    if (other) $("concern-other").focus();
  });

  $("details-form").addEventListener("submit", function (event) {
    event.preventDefault();
    showStep("step-check");
  });

  /* ---------- camera and microphone check ---------- */

  var check = { stream: null, audio: null, frame: 0 };

  function stopCheck() {
    if (check.frame) window.cancelAnimationFrame(check.frame);
    check.frame = 0;
    if (check.stream) check.stream.getTracks().forEach(function (track) { track.stop(); });
    check.stream = null;
    if (check.audio) check.audio.close().catch(function () {});
    check.audio = null;
    $("preview-video").srcObject = null;
    $("mic-level").value = 0;
  }

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
    stopCheck();
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
        announce(t("check.working"));
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
    Promise.resolve(provider(config.office_id)).then(function (result) {
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
  $("check-next").addEventListener("click", function () { showStep("step-join"); });
  $("check-skip").addEventListener("click", function () { showStep("step-join"); });

  /* ---------- joining ---------- */

  if ("Notification" in window && window.Notification.permission !== "denied") $("notify-field").hidden = false;

  function formatWhen(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    try {
      return new Intl.DateTimeFormat(config.lang === "de" ? "de-DE" : "en-GB", {
        weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: config.timezone
      }).format(date);
    } catch (e) {
      return date.toLocaleString();
    }
  }

  function closedText(message, opensAt) {
    return message + (opensAt ? " " + t("opens_at", { when: formatWhen(opensAt) }) : "");
  }

  if (!config.can_join) $("closed-notice").textContent = closedText(t("closed"), config.opens_at);

  function showJoinError(text) {
    var box = $("join-error");
    box.textContent = text;
    box.hidden = false;
  }

  var joining = false;
  $("join").addEventListener("click", function () {
    if (joining) return;
    joining = true;
    $("join-error").hidden = true;
    prepareSound();
    var wantsNotice = $("notify").checked && "Notification" in window;
    store(NOTIFY_KEY, wantsNotice ? "1" : null);
    var asked = wantsNotice && window.Notification.permission === "default"
      ? Promise.resolve(window.Notification.requestPermission()).catch(function () {})
      : Promise.resolve();
    var concern = $("concern").value === "__other" ? $("concern-other").value : $("concern").value;
    var body = { language: $("language").value };
    if ($("name").value.trim()) body.name = $("name").value.trim();
    if (concern.trim()) body.concern = concern.trim();
    asked.then(function () {
      return fetch("/api/offices/" + encodeURIComponent(config.office_id) + "/tickets?lang=" + config.lang, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit"
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 201 && data.token) {
          store(config.storage_key, data.token);
          enterQueue(data.ticket);
        } else if (data.error === "closed") {
          showJoinError(closedText(data.message || t("closed"), data.opens_at));
        } else {
          showJoinError(data.message || t("join_failed"));
        }
      });
    }).catch(function () {
      showJoinError(t("join_failed"));
    }).then(function () { joining = false; });
  });

  /* ---------- waiting ---------- */

  var socket = null;
  var last = { position: null, state: null, number: null };
  var call = { deadline: 0, timer: 0, title: 0 };
  var originalTitle = document.title;
  var connectionTimer = 0;

  function connection(state) {
    var line = $("connection");
    window.clearTimeout(connectionTimer);
    line.setAttribute("data-state", state);
    line.textContent = state === "reconnecting" ? t("reconnecting") : state === "back" ? t("reconnected") : "";
    if (state === "back") connectionTimer = window.setTimeout(function () { connection("live"); }, 4000);
  }

  function estimateText(estimate) {
    if (!estimate) return t("estimate.unknown");
    if (estimate.min === estimate.max) return t("estimate.about", { minutes: estimate.max });
    if (!estimate.min) return t("estimate.up_to", { minutes: estimate.max });
    return t("estimate.range", { min: estimate.min, max: estimate.max });
  }

  function render(ticket) {
    $("number").textContent = ticket.number;
    $("position").textContent = ticket.position ? String(ticket.position) : "–";
    $("ahead").textContent = ticket.ahead === 0 ? t("ahead.none") : ticket.ahead ? String(ticket.ahead) : "–";
    $("estimate").textContent = ticket.state === "waiting" ? estimateText(ticket.estimate) : "–";
    if (ticket.state === "waiting" && ticket.position && ticket.position !== last.position) {
      // only the position is announced, not every estimate update
      announce(last.position === null
        ? t("joined", { number: ticket.number, position: ticket.position })
        : ticket.position === 1 ? t("position_next") : t("position_now", { position: ticket.position }));
    }
    last.position = ticket.state === "waiting" ? ticket.position : null;
    last.number = ticket.number;
    if (ticket.state === "called" && ticket.call) showCall(ticket);
    else endCall();
    $("facts").hidden = ticket.state !== "waiting";  // the place in the queue means nothing once called
    $("queue-state").hidden = ticket.state === "called";
    $("queue-state").textContent = ticket.state === "in_visit" ? t("in_visit") : t("queue_hint");
    last.state = ticket.state;
  }

  function enterQueue(ticket) {
    showStep("queue");
    post("state", { in_queue: true });
    if (ticket) render(ticket);
    connect();
  }

  function connect() {
    if (socket || typeof window.io !== "function") return;
    socket = window.io("/citizen", {
      auth: { token: stored(config.storage_key), lang: config.lang },
      transports: ["websocket", "polling"]
    });
    var everConnected = false;
    socket.on("connect", function () {
      connection(everConnected ? "back" : "live");
      everConnected = true;
    });
    socket.on("disconnect", function (reason) {
      connection("reconnecting");
      if (reason === "io server disconnect") window.setTimeout(function () { if (socket) socket.connect(); }, 2000);
    });
    socket.on("connect_error", function (err) {
      if (err && err.data && err.data.error === "unknown_ticket") {
        ended("unknown");
        return;
      }
      connection("reconnecting");
      // a refusal (e.g. the server briefly without Redis) is not retried by the client itself
      if (!socket.active) window.setTimeout(function () { if (socket) socket.connect(); }, 3000);
    });
    socket.on("ticket", render);
    socket.on("announcement", function (data) {
      if (!data || !data.text) return;
      var item = document.createElement("li");
      item.textContent = data.text;
      var list = $("announcement-list");
      list.insertBefore(item, list.firstChild);
      while (list.children.length > 5) list.removeChild(list.lastChild);
      $("announcements").hidden = false;
    });
    socket.on("ended", function (data) { ended((data && data.reason) || "finished"); });
  }

  /* ---------- being called ---------- */

  var audio = null;
  function prepareSound() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      audio = audio || new Ctx();
      if (audio.state === "suspended") audio.resume().catch(function () {});
    } catch (e) { audio = null; }
  }
  // after a reload the sound may only start once the citizen has touched the page
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, prepareSound, { once: true });
  });

  function playTone() {
    prepareSound();
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
    if (stored(NOTIFY_KEY) !== "1" || !("Notification" in window) || window.Notification.permission !== "granted") return;
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
    $("countdown").textContent = seconds > 0 ? t("called.seconds", { seconds: seconds }) : t("called.expired");
    titleTick();
  }

  function showCall(ticket) {
    call.deadline = Date.now() + ticket.call.seconds_left * 1000;
    call.url = ticket.call.visit_url;
    if (last.state === "called") return;  // already showing; the deadline is refreshed
    $("called").hidden = false;
    $("accept-error").hidden = true;
    $("call-alert").textContent = t("called.alert", { number: ticket.number });
    window.clearInterval(call.timer);
    call.timer = window.setInterval(countdown, 1000);
    countdown();
    playTone();
    notify(ticket);
    $("accept").focus();
  }

  function endCall() {
    if (!call.timer) return;
    window.clearInterval(call.timer);
    call.timer = 0;
    $("called").hidden = true;
    $("call-alert").textContent = "";
    document.title = originalTitle;
  }

  $("accept").addEventListener("click", function () {
    if (!socket) return;
    var button = this;
    button.setAttribute("aria-disabled", "true");
    socket.timeout(10000).emit("accept", {}, function (err, answer) {
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

  /* ---------- leaving and the end ---------- */

  function hideLeaveConfirm() {
    $("leave-confirm").hidden = true;
    $("leave").focus();
  }

  $("leave").addEventListener("click", function () {
    $("leave-confirm").hidden = false;
    $("leave-no").focus();
  });
  $("leave-no").addEventListener("click", hideLeaveConfirm);
  $("leave-yes").addEventListener("click", function () { leaveQueue(); });

  function leaveQueue() {
    var token = stored(config.storage_key);
    if (!token) return Promise.resolve();
    var done = socket && socket.connected
      ? new Promise(function (resolve) { socket.timeout(5000).emit("leave", {}, function () { resolve(); }); })
      : fetch("/api/tickets/me", { method: "DELETE", headers: { Authorization: "Bearer " + token }, credentials: "omit" })
        .catch(function () {});
    return done.then(function () { ended("left"); });
  }

  function ended(reason) {
    store(config.storage_key, null);
    if (socket) {
      var old = socket;
      socket = null;
      old.disconnect();
    }
    endCall();
    connection("live");
    var known = ["finished", "no_show", "left", "expired", "removed"].indexOf(reason) >= 0 ? reason : "unknown";
    $("ended-heading").textContent = t("ended." + known + ".heading");
    $("ended-text").textContent = t("ended." + known + ".text");
    $("close-dialog").hidden = !parentOrigin;
    if ($("ended").hidden) showStep("ended");
    last = { position: null, state: null, number: null };
    post("state", { in_queue: false });
  }

  $("again").addEventListener("click", function () {
    $("announcement-list").textContent = "";
    $("announcements").hidden = true;
    showStep($("consent").checked ? "step-join" : "step-privacy");  // after a reload: from the start
  });
  $("close-dialog").addEventListener("click", function () { post("close"); });

  /* ---------- start ---------- */

  if (stored(config.storage_key)) enterQueue(null);
  post("ready");
})();
