/* The clerk's console: live queues over socket.io (/clerk), calls and the current visit.
 * Every value from the server is shown with textContent, never as HTML. */
(function (VO) {
  "use strict";

  var config = VO.config("console-config");
  var S = config.strings;
  var LIVE = ["called", "in_visit"];
  var state = { queues: {}, visit: null, activeOffice: config.offices.length ? config.offices[0].id : null,
                pending: {}, audio: null };

  var fmt = VO.translator(S);
  var $ = VO.find;  // here by CSS selector, in the document or a given element
  function officeCard(id) {
    var cards = document.querySelectorAll("section.office");
    for (var i = 0; i < cards.length; i++) if (cards[i].dataset.office === id) return cards[i];
    return null;
  }
  function officeName(id) {
    var all = config.targets.concat(config.offices);
    for (var i = 0; i < all.length; i++) if (all[i].id === id) return all[i].name;
    return id;
  }
  var say = VO.announcer("announcer");
  function alertError(answer) {
    var box = $("#alert");
    box.textContent = (answer && answer.message) || S["error." + (answer && answer.error)] || S["error.internal"];
    box.hidden = false;
  }
  function clearAlert() { $("#alert").hidden = true; $("#alert").textContent = ""; }

  var socket = io("/clerk", { auth: { lang: config.lang } });

  function send(event, data, done) {
    clearAlert();
    socket.timeout(10000).emit(event, data, function (err, answer) {
      if (err) { alertError({ error: "unavailable" }); return; }
      if (answer && answer.error === "not_authenticated") { loggedOut(); return; }
      if (!answer || !answer.ok) { alertError(answer); return; }
      if (done) done(answer);
    });
  }

  /* ---- connection ---------------------------------------------------- */

  function connection(stateName, key) {
    var el = $("#connection");
    el.dataset.state = stateName;
    el.textContent = S[key];
  }
  socket.on("connect", function () { connection("connected", "connected"); });
  socket.on("disconnect", function () { connection("disconnected", "disconnected"); });
  function loggedOut() {  // the account was deleted, has a new password, or the session expired
    connection("refused", "logged_out");
    window.location.assign("/login?next=/console");
  }
  socket.on("connect_error", function (err) {
    if (err && err.data && err.data.error === "not_authenticated") {
      loggedOut();
    } else {
      connection("disconnected", "disconnected");
    }
  });

  /* ---- queues -------------------------------------------------------- */

  function time(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString(config.lang === "en" ? "en-GB" : "de-DE", { hour: "2-digit", minute: "2-digit" });
  }
  function minutesSince(iso) { return Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000)); }
  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }
  function waitingOf(q) { return q.tickets.filter(function (t) { return t.state === "waiting"; }); }

  function renderOffice(q) {
    var card = officeCard(q.office_id);
    if (!card) return;
    var badge = $(".office-status", card);
    badge.dataset.status = q.status.status;
    badge.textContent = S["status." + q.status.status] || q.status.status;

    var mine = null, names = [];
    q.clerks.forEach(function (c) {
      if (c.id === config.clerk_id) mine = c.presence;
      names.push(c.name + " (" + (S["presence." + c.presence] || c.presence) + ")");
    });
    $(".on-duty-names", card).textContent = names.length ? names.join(", ") : "–";
    if (!state.pending[q.office_id]) {
      var value = mine === "with_citizen" ? "available" : (mine || "offline");
      card.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === value; });
    }

    var waiting = waitingOf(q);
    $(".waiting-count", card).textContent = fmt("waiting", { n: waiting.length });
    $(".call-next", card).disabled = waiting.length === 0;
    var body = $("tbody", card);
    // Each cell carries its column's name: rows laid out as cards (a narrow column, a phone) show some (staff.css).
    var labels = Array.prototype.map.call(card.querySelectorAll("thead th"), function (h) { return h.textContent; });
    body.textContent = "";
    q.tickets.forEach(function (t) {
      var row = document.createElement("tr");
      row.dataset.ticket = t.id;
      row.dataset.state = t.state;
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = t.number;
      row.appendChild(th);
      cell(row, fmt("since", { time: time(t.joined_at), minutes: minutesSince(t.joined_at) }), "since");
      cell(row, t.concern || "–", "concern");
      cell(row, t.language || "–", "language");
      cell(row, t.name || "–", "name");
      cell(row, t.online ? S["online"] : S["offline"], t.online ? "online" : "offline");
      var who = t.clerk_id === config.clerk_id ? S["you"] : "";
      cell(row, S["state." + t.state] + (t.state !== "waiting" && who ? " (" + who + ")" : ""), "state");
      var action = cell(row, "", "action");
      if (t.state === "waiting") {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "call";
        button.textContent = S["call"];
        button.setAttribute("aria-label", fmt("call.label", { number: t.number }));
        button.addEventListener("click", function () { call(q.office_id, t.id); });
        action.appendChild(button);
      }
      Array.prototype.forEach.call(row.children, function (c, i) { c.dataset.label = labels[i] || ""; });
      body.appendChild(row);
    });
    $("table.queue", card).hidden = q.tickets.length === 0;
    $(".queue-empty", card).hidden = q.tickets.length !== 0;
  }

  socket.on("queue", function (q) {
    var before = state.queues[q.office_id];
    state.queues[q.office_id] = q;
    renderOffice(q);
    if (before && waitingOf(before).length === 0 && waitingOf(q).length > 0) someoneJoined(q.office_id);
    var own = q.tickets.filter(function (t) { return t.clerk_id === config.clerk_id && LIVE.indexOf(t.state) >= 0; })[0];
    if (own && (!state.visit || state.visit.ticket.id === own.id)) {
      var was = state.visit && state.visit.state;
      if (!state.visit || was !== own.state || own.state === "called") setVisit(q.office_id, own, own.state, null, true);
    }
  });

  // Minutes waited go stale; redraw them now and then.
  window.setInterval(function () { Object.keys(state.queues).forEach(function (id) { renderOffice(state.queues[id]); }); }, 30000);

  /* ---- joining alerts: a beep and a desktop notification ---------------- */

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

  function someoneJoined(officeId) {
    var text = fmt("joined", { office: officeName(officeId) });
    say(text);
    beep();
    document.body.dataset.lastJoin = officeId;
    // The notification names the office only: no names or concerns on the screen's edge.
    if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
      try { new Notification(S["joined.title"], { body: text, tag: "vo-join-" + officeId }); } catch (e) { /* not allowed here */ }
    }
  }

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

  /* ---- presence, calls, announcements ---------------------------------- */

  document.querySelectorAll("section.office").forEach(function (card) {
    var id = card.dataset.office;
    card.addEventListener("focusin", function () { state.activeOffice = id; });
    card.addEventListener("pointerdown", function () { state.activeOffice = id; });
    card.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        state.pending[id] = true;
        send("presence", { office_id: id, presence: radio.value }, function () {
          say(fmt("presence.set", { office: officeName(id), presence: S["presence." + radio.value] }));
        });
        window.setTimeout(function () { delete state.pending[id]; if (state.queues[id]) renderOffice(state.queues[id]); }, 1500);
      });
    });
    $(".call-next", card).addEventListener("click", function () { callNext(id); });
    $("form.announce", card).addEventListener("submit", function (event) {
      event.preventDefault();
      var area = $("textarea", card);
      if (!area.value.trim()) { area.focus(); return; }
      send("announce", { office_id: id, text: area.value }, function () {
        area.value = "";
        say(S["announce.sent"]);
      });
    });
  });

  function called(officeId, answer) {
    setVisit(officeId, answer.ticket, answer.ticket.state);
    say(fmt("called", { number: answer.ticket.number }));
  }
  function callNext(officeId) { send("call_next", { office_id: officeId }, function (a) { called(officeId, a); }); }
  function call(officeId, ticketId) { send("call", { office_id: officeId, ticket_id: ticketId }, function (a) { called(officeId, a); }); }

  /* ---- the current visit ------------------------------------------------ */

  var visitBox = $("#current-visit");
  var timer = null;

  function setVisit(officeId, ticket, visitState, reason, fromQueue) {
    var previous = state.visit;
    // A queue update computed just before the visit ended may arrive just after it.
    if (fromQueue && previous && previous.ticket.id === ticket.id && previous.state === "ended" &&
        Date.now() - previous.endedAt < 3000) return;
    var deadline = null;
    if (visitState === "called" && ticket.seconds_left !== null && ticket.seconds_left !== undefined) {
      deadline = Date.now() + ticket.seconds_left * 1000;
      // A repeat of the same call keeps the earlier, local deadline (no jitter in the countdown).
      if (previous && previous.ticket.id === ticket.id && previous.deadline) deadline = Math.min(deadline, previous.deadline);
    }
    var same = previous && ticket && previous.ticket.id === ticket.id;
    state.visit = { office_id: officeId, ticket: ticket || (previous && previous.ticket), state: visitState, reason: reason || null,
                    deadline: deadline, endedAt: visitState === "ended" ? Date.now() : null,
                    began: visitState === "in_visit" || !!(same && previous.began) };
    renderVisit();
  }

  function secondsLeft() {
    var v = state.visit;
    if (!v || v.state !== "called" || v.deadline === null) return null;
    return Math.max(0, Math.ceil((v.deadline - Date.now()) / 1000));
  }

  function renderVisit() {
    var v = state.visit;
    $("#visit-empty").hidden = !!v;
    $("#visit-details").hidden = !v;
    visitBox.dataset.state = v ? v.state : "none";
    if (timer) { window.clearInterval(timer); timer = null; }
    if (!v) return;
    var t = v.ticket;
    $("#visit-number").textContent = t.number;
    $("#visit-office").textContent = officeName(v.office_id);
    $("#visit-name").textContent = t.name || "–";
    $("#visit-concern").textContent = t.concern || "–";
    $("#visit-language").textContent = t.language || "–";
    var live = v.state !== "ended";
    var called = v.state === "called";
    // Called, not yet in: the clerk may withdraw the call at once (the countdown only informs).
    // Finishing needs a visit that began: the server refuses it for a call (not_in_visit).
    $("#finish").hidden = called;
    $("#finish").disabled = v.state !== "in_visit";
    $("#no-show").hidden = !called;
    $("#no-show").disabled = !called;
    $("#send-back").disabled = !live;
    if (called) $("#send-back").setAttribute("aria-describedby", "no-show-hint");
    else $("#send-back").removeAttribute("aria-describedby");
    $("#transfer").disabled = !live;
    $("#transfer-target").disabled = !live;
    $("#visit-dismiss").hidden = live;
    // Once a visit has ended only "close" is left to do.
    visitBox.querySelector(".actions").hidden = !live;
    visitBox.querySelector(".transfer").hidden = !live;
    $("#no-show-hint").hidden = !called;
    $("#visit-record-kept").hidden = live || !v.began;
    var select = $("#transfer-target");
    select.textContent = "";
    config.targets.forEach(function (o) {
      if (o.id === v.office_id) return;
      var option = document.createElement("option");
      option.value = o.id;
      option.textContent = o.name;
      select.appendChild(option);
    });
    if (!select.options.length) { $("#transfer").disabled = true; select.disabled = true; }
    updateCountdown();
    if (v.state === "called") timer = window.setInterval(updateCountdown, 250);
  }

  function updateCountdown() {
    var v = state.visit;
    if (!v) return;
    var line = $("#visit-state");
    var noShow = $("#no-show");
    if (v.state === "called") {
      var left = secondsLeft();
      if (left === 0) {
        line.textContent = S["visit.expired"];
        visitBox.dataset.state = "expired";
        if (!v.announcedExpiry) { v.announcedExpiry = true; say(S["visit.expired"]); }
      } else {
        line.textContent = fmt("visit.called", { seconds: left === null ? "…" : left });
      }
      noShow.dataset.secondsLeft = left === null ? "" : String(left);
    } else if (v.state === "in_visit") {
      line.textContent = S["visit.in_visit"];
    } else {
      line.textContent = S["ended." + (v.reason || "finished")] || S["ended.finished"];
    }
  }

  socket.on("visit", function (message) {
    var id = message.ticket ? message.ticket.id : message.ticket_id;
    var current = state.visit;
    if (message.state === "ended") {
      if (!current || current.ticket.id !== id) return;
      setVisit(current.office_id, message.ticket || current.ticket, "ended", message.reason);
      say(fmt("visit.ended", { number: current.ticket.number, reason: S["ended." + message.reason] || "" }));
      if (message.reason === "no_show") $("#visit-dismiss").focus();
      return;
    }
    if (current && current.ticket.id === id && current.state === message.state) return;
    setVisit(message.office_id, message.ticket, message.state);
    if (message.state === "in_visit") say(fmt("visit.accepted", { number: message.ticket.number }));
  });

  function act(event, extra, after) {
    var v = state.visit;
    if (!v || v.state === "ended") return;
    var data = { office_id: v.office_id, ticket_id: v.ticket.id };
    Object.keys(extra || {}).forEach(function (k) { data[k] = extra[k]; });
    var inCard = visitBox.contains(document.activeElement);
    send(event, data, function (answer) {
      if (state.visit && state.visit.ticket.id === v.ticket.id && state.visit.state !== "ended") setVisit(v.office_id, v.ticket, "ended", after);
      say(fmt("visit.ended", { number: v.ticket.number, reason: S["ended." + after] || "" }));
      // The button pressed is gone with the visit: "close" is what is left to do.
      var lost = !document.activeElement || document.activeElement === document.body || visitBox.contains(document.activeElement);
      if (inCard && lost && state.visit && state.visit.state === "ended") $("#visit-dismiss").focus();
      return answer;
    });
  }
  $("#finish").addEventListener("click", function () { act("finish", null, "finished"); });
  $("#send-back").addEventListener("click", function () { act("send_back", null, "sent_back"); });
  $("#no-show").addEventListener("click", function () { act("no_show", null, "no_show"); });
  $("#transfer").addEventListener("click", function () {
    var target = $("#transfer-target").value;
    if (target) act("transfer", { target_office_id: target }, "transferred");
  });
  $("#visit-dismiss").addEventListener("click", function () {
    state.visit = null;
    renderVisit();
    var card = officeCard(state.activeOffice);
    if (card) $(".call-next", card).focus();
  });

  /* ---- keyboard shortcuts (never while typing) --------------------------- */

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "input") return ["radio", "checkbox", "button", "submit", "reset"].indexOf(target.type) < 0;
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function officeForNext() {
    var best = state.activeOffice;
    if (state.queues[best] && waitingOf(state.queues[best]).length) return best;
    var ids = Object.keys(state.queues).filter(function (id) { return waitingOf(state.queues[id]).length; });
    // Nobody waiting, as far as this page knows: the server says so (or calls who came meanwhile).
    return ids.length ? ids[0] : best;
  }
  function usable(el) { return !el.disabled && !el.closest("[hidden]"); }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    var button = { f: "#finish", b: "#send-back", x: "#no-show" }[key];
    if (key === "n") {
      var id = officeForNext();
      if (id) { event.preventDefault(); callNext(id); }
    } else if (button) {
      var el = $(button);
      if (usable(el)) { event.preventDefault(); el.click(); }
    }
  });

  window.VirtualOfficeConsole = { state: state, socket: socket };
})(window.VO);
