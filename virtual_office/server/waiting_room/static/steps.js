/* The citizen's waiting room: consent, details, device check, joining, waiting, being called.
 *
 * The ticket's token belongs to the browser, not to one tab (VO.keep: localStorage, or this
 * tab's sessionStorage where that is off): a reload, another tab or the browser started again
 * within the grace period come back to the same place. It only travels in the join response
 * and the socket.io auth, never in a URL.
 * Framed by the widget's dialog, the page speaks the widget's postMessage protocol
 * (virtual_office/widget/README.md) with the embedding page's origin only.
 *
 * The page is built from a few modules, in this order: steps.js (this file: what the others
 * share, as VO.room, and the steps before joining), frame.js (the widget that framed us),
 * device_check.js and check.js (camera, microphone and connection), queue.js (joining and
 * waiting), call.js (being called) and waiting_room.js (leaving, the end, the start).
 */
(function (VO) {
  "use strict";

  var $ = VO.$;
  var config = VO.config("room-config");

  var R = VO.room = {
    config: config,
    t: VO.translator(config.strings),
    announce: VO.announcer("announcer"),
    NOTIFY_KEY: "virtual-office.notify",
    socket: null,
    last: { position: null, state: null, number: null }
  };

  R.showStep = function (id) {
    Array.prototype.forEach.call(document.querySelectorAll("section.step"), function (section) {
      section.hidden = section.id !== id;
    });
    if (id !== "step-check") R.stopCheck();
    var heading = $(id).querySelector("h2");
    if (heading) heading.focus();
  };

  Array.prototype.forEach.call(document.querySelectorAll("button.back"), function (button) {
    button.addEventListener("click", function () { R.showStep(button.getAttribute("data-step")); });
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
    R.showStep("step-details");
  });

  $("concern").addEventListener("change", function () {
    var other = this.value === "__other";
    $("concern-other-field").hidden = !other;
    if (other) $("concern-other").focus();
  });

  $("details-form").addEventListener("submit", function (event) {
    event.preventDefault();
    R.showStep("step-check");
  });
})(window.VO);
