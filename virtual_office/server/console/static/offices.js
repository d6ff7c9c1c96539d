/* What the clerk does on an office's card: their presence, calling (the next or one person)
 * and announcements to those waiting. The card used last is the office "n" calls from. */
(function (VO, C) {
  "use strict";

  var $ = VO.find;
  var S = C.S;
  var fmt = C.fmt;
  var state = C.state;

  function called(officeId, answer) {
    C.setVisit(officeId, answer.ticket, answer.ticket.state);
    C.say(fmt("called", { number: answer.ticket.number }));
  }

  /* Nobody to call after all: said beside the office's "call next" for a moment, not as an error. */
  var notes = {};
  function nobodyWaiting(officeId) {
    var card = C.officeCard(officeId);
    var text = S["call_next.empty"];
    C.say(text);
    if (!card) return;
    var note = $(".call-next-note", card);
    if (!note) {
      note = document.createElement("p");
      note.className = "call-next-note";
      $(".queue-actions", card).appendChild(note);
    }
    note.textContent = text;
    note.hidden = false;
    window.clearTimeout(notes[officeId]);
    notes[officeId] = window.setTimeout(function () { note.hidden = true; }, 6000);
  }

  // One call on its way at a time (a double click or a held key calls one person), and only after
  // what the clerk did to the current visit has been answered: N right after B calls the one who
  // is waiting by then, and is not taken for a second click on the visit being sent back.
  var calling = false;
  function call(officeId, event, data) {
    if (calling) return;
    calling = true;
    var note = C.officeCard(officeId) && $(".call-next-note", C.officeCard(officeId));
    if (note) note.hidden = true;
    C.acting.then(function () {
      return C.send(event, data, function (a) { called(officeId, a); }, function (answer) {
        if (answer.error !== "queue_empty") return false;
        nobodyWaiting(officeId);
        return true;
      });
    }).then(function () { calling = false; });
  }
  C.callNext = function (officeId) { call(officeId, "call_next", { office_id: officeId }); };
  C.call = function (officeId, ticketId) { call(officeId, "call", { office_id: officeId, ticket_id: ticketId }); };

  function presence(card, id) {
    card.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        state.pending[id] = true;  // queue updates leave the choice alone until the server has it
        C.send("presence", { office_id: id, presence: radio.value }, function () {
          C.say(fmt("presence.set", { office: C.officeName(id), presence: S["presence." + radio.value] }));
        });
        window.setTimeout(function () { delete state.pending[id]; if (state.queues[id]) C.renderOffice(state.queues[id]); }, 1500);
      });
    });
  }

  function announcements(card, id) {
    $("form.announce", card).addEventListener("submit", function (event) {
      event.preventDefault();
      var area = $("textarea", card);
      if (!area.value.trim()) { area.focus(); return; }
      C.send("announce", { office_id: id, text: area.value }, function () {
        area.value = "";
        C.say(S["announce.sent"]);
      });
    });
  }

  document.querySelectorAll("section.office").forEach(function (card) {
    var id = card.dataset.office;
    card.addEventListener("focusin", function () { state.activeOffice = id; });
    card.addEventListener("pointerdown", function () { state.activeOffice = id; });
    presence(card, id);
    $(".call-next", card).addEventListener("click", function () { C.callNext(id); });
    announcements(card, id);
  });
})(window.VO, window.VO.console);
