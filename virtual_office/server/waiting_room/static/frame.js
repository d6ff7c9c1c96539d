/* The waiting room in the widget's dialog: the embedding page's origin (checked against the
 * office's allowed ones) and the messages to and from it. */
(function (VO, R) {
  "use strict";

  var $ = VO.$;
  var MSG_SOURCE = "virtual-office";

  function allowedParent(origin) {
    if (!origin || origin === "null") return false;
    if (origin === window.location.origin) return true;
    var allowed = R.config.frame_ancestors || [];
    return allowed.indexOf("*") >= 0 || allowed.indexOf(origin) >= 0;
  }

  function findParent() {
    if (window.parent === window) return null;
    var candidates = [];
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length) candidates.push(ancestors[0]);
    else {
      candidates.push(VO.stored(VO.PARENT_KEY));  // after a navigation inside the frame the referrer is our own page
      try { candidates.push(new URL(document.referrer).origin); } catch (e) { /* no referrer */ }
    }
    for (var i = 0; i < candidates.length; i++) {
      if (allowedParent(candidates[i])) {
        VO.store(VO.PARENT_KEY, candidates[i]);
        return candidates[i];
      }
    }
    return null;
  }

  var parentOrigin = R.parentOrigin = findParent();

  R.post = function (type, extra) {
    if (!parentOrigin) return;
    var msg = { source: MSG_SOURCE, type: type };
    Object.keys(extra || {}).forEach(function (k) { msg[k] = extra[k]; });
    window.parent.postMessage(msg, parentOrigin);
  };

  window.addEventListener("message", function (event) {
    if (!parentOrigin || event.origin !== parentOrigin || event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.source !== MSG_SOURCE) return;
    if (data.type === "leave") {
      R.leaveQueue().then(function () { R.post("left"); });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!$("leave-confirm").hidden) {
      R.hideLeaveConfirm();
      return;
    }
    R.post("escape");  // keys inside the frame do not reach the widget's dialog
  });
})(window.VO, window.VO.room);
