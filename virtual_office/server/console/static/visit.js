/* The current visit's card (#current-visit): who was called or is in a visit, the countdown
 * of a call, and what the clerk may do with it (finish, send back, no-show, transfer, close). */
(function (VO, C) {
  "use strict";

  var $ = VO.find;
  var S = C.S;
  var fmt = C.fmt;
  var state = C.state;
  var visitBox = $("#current-visit");
  var timer = null;

  /* The visit is now ticket's, in visitState (called, in_visit or ended, for reason);
   * fromQueue: learnt from a queue update rather than from the visit itself. */
  C.setVisit = function (officeId, ticket, visitState, reason, fromQueue) {
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
  };

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
    $("#visit-office").textContent = C.officeName(v.office_id);
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
    C.config.targets.forEach(function (o) {
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
        if (!v.announcedExpiry) { v.announcedExpiry = true; C.say(S["visit.expired"]); }
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

  /* Ends the visit by event (finish, send_back, no_show, transfer); after: the reason shown. */
  function act(event, extra, after) {
    var v = state.visit;
    if (!v || v.state === "ended") return;
    var data = { office_id: v.office_id, ticket_id: v.ticket.id };
    Object.keys(extra || {}).forEach(function (k) { data[k] = extra[k]; });
    var inCard = visitBox.contains(document.activeElement);
    // Until the answer, and the queue's next update after it, the console's queue may not show who
    // is waiting: "call next" asks the server meanwhile (queues.js).
    var offices = [v.office_id].concat(data.target_office_id ? [data.target_office_id] : []);
    offices.forEach(function (id) { state.stale[id] = "sent"; });
    C.acting = C.send(event, data, function (answer) {
      if (state.visit && state.visit.ticket.id === v.ticket.id && state.visit.state !== "ended") C.setVisit(v.office_id, v.ticket, "ended", after);
      C.say(fmt("visit.ended", { number: v.ticket.number, reason: S["ended." + after] || "" }));
      // The button pressed is gone with the visit: "close" is what is left to do.
      var lost = !document.activeElement || document.activeElement === document.body || visitBox.contains(document.activeElement);
      if (inCard && lost && state.visit && state.visit.state === "ended") $("#visit-dismiss").focus();
      return answer;
    }).then(function () {
      offices.forEach(function (id) { if (state.stale[id] === "sent") state.stale[id] = "answered"; });
      offices.forEach(function (id) { if (state.queues[id]) C.renderOffice(state.queues[id]); });
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
    var card = C.officeCard(state.activeOffice);
    if (card) $(".call-next", card).focus();
  });
})(window.VO, window.VO.console);
