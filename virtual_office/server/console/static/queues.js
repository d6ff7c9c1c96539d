/* Each office's card: its status, who is on duty, the clerk's own presence and the queue's table. */
(function (VO, C) {
  "use strict";

  var $ = VO.find;
  var config = C.config;
  var S = C.S;
  var fmt = C.fmt;
  var state = C.state;

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

  C.renderOffice = function (q) {
    var card = C.officeCard(q.office_id);
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
    if (!state.pending[q.office_id]) {  // a choice of the clerk's on its way: left as it is
      var value = mine === "with_citizen" ? "available" : (mine || "offline");
      card.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === value; });
    }

    var waiting = C.waitingOf(q);
    $(".waiting-count", card).textContent = fmt("waiting", { n: waiting.length });
    // Off while nobody waits, unless the clerk's own action (e.g. sending someone back) may not be in the queue yet.
    $(".call-next", card).disabled = waiting.length === 0 && !state.stale[q.office_id];
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
        button.addEventListener("click", function () { C.call(q.office_id, t.id); });
        action.appendChild(button);
      }
      Array.prototype.forEach.call(row.children, function (c, i) { c.dataset.label = labels[i] || ""; });
      body.appendChild(row);
    });
    $("table.queue", card).hidden = q.tickets.length === 0;
    $(".queue-empty", card).hidden = q.tickets.length !== 0;
  };

  // Minutes waited go stale; redraw them now and then.
  window.setInterval(function () { Object.keys(state.queues).forEach(function (id) { C.renderOffice(state.queues[id]); }); }, 30000);
})(window.VO, window.VO.console);
