/* The console's wiring: what the server sends over the socket (each office's queue, the
 * clerk's visit) to the modules that show it, and window.VirtualOfficeConsole for the
 * visit panel (visit-panel.js, after this file). */
(function (VO, C) {
  "use strict";

  var S = C.S;
  var fmt = C.fmt;
  var state = C.state;
  var socket = C.socket;

  socket.on("queue", function (q) {
    var before = state.queues[q.office_id];
    state.queues[q.office_id] = q;
    if (state.stale[q.office_id] === "answered") delete state.stale[q.office_id];  // sent after the clerk's action was done
    C.renderOffice(q);
    if (before && C.waitingOf(before).length === 0 && C.waitingOf(q).length > 0) C.someoneJoined(q.office_id);
    // A call or visit of this clerk's in the queue is the current visit (after a reload, say).
    var own = q.tickets.filter(function (t) { return t.clerk_id === C.config.clerk_id && C.LIVE.indexOf(t.state) >= 0; })[0];
    if (own && (!state.visit || state.visit.ticket.id === own.id)) {
      var was = state.visit && state.visit.state;
      if (!state.visit || was !== own.state || own.state === "called") C.setVisit(q.office_id, own, own.state, null, true);
    }
  });

  socket.on("visit", function (message) {
    var id = message.ticket ? message.ticket.id : message.ticket_id;
    var current = state.visit;
    if (message.state === "ended") {
      if (!current || current.ticket.id !== id) return;
      C.setVisit(current.office_id, message.ticket || current.ticket, "ended", message.reason);
      C.say(fmt("visit.ended", { number: current.ticket.number, reason: S["ended." + message.reason] || "" }));
      if (message.reason === "no_show") VO.find("#visit-dismiss").focus();
      return;
    }
    if (current && current.ticket.id === id && current.state === message.state) return;
    C.setVisit(message.office_id, message.ticket, message.state);
    if (message.state === "in_visit") C.say(fmt("visit.accepted", { number: message.ticket.number }));
  });

  window.VirtualOfficeConsole = { state: state, socket: socket };
})(window.VO, window.VO.console);
