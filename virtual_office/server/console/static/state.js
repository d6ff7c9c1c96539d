/* The clerk's console: live queues over socket.io (/clerk), calls and the current visit.
 * Every value from the server is shown with textContent, never as HTML.
 *
 * The page is built from a few modules, in this order: state.js (this file: what the others
 * share, as VO.console), connection.js (the socket and its state), queues.js (each office's
 * queue), joined.js (the beep and notification when someone joins), offices.js (presence,
 * calls and announcements per office), visit.js (the current visit and its actions),
 * shortcuts.js (the keyboard), console.js (the socket's events, window.VirtualOfficeConsole)
 * and visit-panel.js (the visit's video, framed).
 */
(function (VO) {
  "use strict";

  var $ = VO.find;  // here by CSS selector, in the document or a given element
  var config = VO.config("console-config");
  var S = config.strings;

  var C = VO.console = {
    config: config,
    S: S,
    fmt: VO.translator(S),
    say: VO.announcer("announcer"),
    LIVE: ["called", "in_visit"],  // the states of a ticket that is this clerk's visit
    state: { queues: {}, visit: null, activeOffice: config.offices.length ? config.offices[0].id : null,
             pending: {}, audio: null, stale: {} },
    socket: null,
    acting: Promise.resolve()  // the clerk's last action on the visit, settled once answered (visit.js)
  };

  /* An office's card (section.office) by its id; null if this clerk has none for it. */
  C.officeCard = function (id) {
    var cards = document.querySelectorAll("section.office");
    for (var i = 0; i < cards.length; i++) if (cards[i].dataset.office === id) return cards[i];
    return null;
  };

  /* An office's name: the clerk's own offices and the transfer targets; else its id. */
  C.officeName = function (id) {
    var all = config.targets.concat(config.offices);
    for (var i = 0; i < all.length; i++) if (all[i].id === id) return all[i].name;
    return id;
  };

  C.waitingOf = function (q) { return q.tickets.filter(function (t) { return t.state === "waiting"; }); };

  /* The error box (#alert): the server's message, or ours for its error code. */
  C.alertError = function (answer) {
    var box = $("#alert");
    box.textContent = (answer && answer.message) || S["error." + (answer && answer.error)] || S["error.internal"];
    box.hidden = false;
  };
  C.clearAlert = function () { $("#alert").hidden = true; $("#alert").textContent = ""; };
})(window.VO);
