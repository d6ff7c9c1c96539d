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
  C.callNext = function (officeId) { C.send("call_next", { office_id: officeId }, function (a) { called(officeId, a); }); };
  C.call = function (officeId, ticketId) {
    C.send("call", { office_id: officeId, ticket_id: ticketId }, function (a) { called(officeId, a); });
  };

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
