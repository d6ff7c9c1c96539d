/* Today's appointments: each office's list (pushed as "appointments" on /clerk whenever a booking
 * changes) and, in the queue, a "Termin 10:15" mark on the tickets of checked-in appointments.
 * Runs after console.js: it draws the queue (queues.js) and then marks its rows. */
(function (VO, C) {
  "use strict";

  var $ = VO.find;
  var S = C.S;
  var fmt = C.fmt;
  var state = C.state;
  var lists = {};  // office id -> the last "appointments" message

  function cell(row, tag, text, label) {
    var c = document.createElement(tag);
    c.textContent = text;
    if (tag === "th") c.scope = "row";
    c.dataset.label = label;
    row.appendChild(c);
  }

  /* The badge on each queue row that is a checked-in appointment's ticket. */
  function mark(officeId) {
    var card = C.officeCard(officeId);
    var list = lists[officeId];
    if (!card || !list) return;
    var byTicket = {};
    list.appointments.forEach(function (a) { if (a.ticket_id) byTicket[a.ticket_id] = a; });
    card.querySelectorAll("table.queue tbody tr").forEach(function (row) {
      var a = byTicket[row.dataset.ticket];
      var old = row.querySelector(".appointment-badge");
      if (old) old.remove();
      if (!a) return;
      var badge = document.createElement("span");
      badge.className = "badge appointment-badge";
      badge.textContent = fmt("appointments.badge", { time: a.time });
      row.querySelector("th").appendChild(document.createTextNode(" "));
      row.querySelector("th").appendChild(badge);
    });
  }

  function render(message) {
    var box = document.querySelector("section.appointments[data-appointments='" + message.office_id + "']");
    var before = lists[message.office_id];
    lists[message.office_id] = message;
    if (!box) return;
    var labels = Array.prototype.map.call(box.querySelectorAll("thead th"), function (h) { return h.textContent; });
    var body = $("tbody", box);
    body.textContent = "";
    message.appointments.forEach(function (a) {
      var row = document.createElement("tr");
      row.dataset.booking = a.id;
      row.dataset.checkedIn = a.checked_in ? "true" : "false";
      cell(row, "th", a.time + "–" + a.end_time, labels[0]);
      cell(row, "td", a.reference, labels[1]);
      cell(row, "td", a.services || "–", labels[2]);
      cell(row, "td", a.name || "–", labels[3]);
      cell(row, "td", a.checked_in ? fmt("appointments.yes", { number: a.number }) : S["appointments.no"], labels[4]);
      body.appendChild(row);
    });
    $("table.appointments-today", box).hidden = message.appointments.length === 0;
    $(".appointments-empty", box).hidden = message.appointments.length !== 0;
    // Someone with an appointment has come in: said once, as a walk-in's joining is.
    if (before) {
      var was = {};
      before.appointments.forEach(function (a) { was[a.id] = a.checked_in; });
      message.appointments.forEach(function (a) {
        if (a.checked_in && was[a.id] === false) C.say(fmt("appointments.arrived", { time: a.time, number: a.number }));
      });
    }
    if (state.queues[message.office_id]) C.renderOffice(state.queues[message.office_id]);
  }

  var renderOffice = C.renderOffice;
  C.renderOffice = function (q) {
    renderOffice(q);
    mark(q.office_id);
  };

  C.socket.on("appointments", render);
})(window.VO, window.VO.console);
