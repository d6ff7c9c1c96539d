/* Keyboard shortcuts, never while typing: n calls the next person, f finishes the visit,
 * b sends the person back to the queue, x marks a call a no-show. */
(function (VO, C) {
  "use strict";

  var state = C.state;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "input") return ["radio", "checkbox", "button", "submit", "reset"].indexOf(target.type) < 0;
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function officeForNext() {
    var best = state.activeOffice;
    if (state.queues[best] && C.waitingOf(state.queues[best]).length) return best;
    var ids = Object.keys(state.queues).filter(function (id) { return C.waitingOf(state.queues[id]).length; });
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
      if (id) { event.preventDefault(); C.callNext(id); }
    } else if (button) {
      var el = VO.find(button);
      if (usable(el)) { event.preventDefault(); el.click(); }
    }
  });
})(window.VO, window.VO.console);
