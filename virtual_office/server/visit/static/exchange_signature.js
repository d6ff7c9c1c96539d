/* The exchange panel's signatures: staff ask for one, the citizen signs on a pad (sent as an
 * image, like a file), or staff note that it was signed on paper. */
(function (VO, X) {
  "use strict";

  if (!X) return;
  var $ = VO.$;
  var t = X.t;

  X.setRequest = function (r, announce) {
    var known = X.requests[r.id];
    X.requests[r.id] = r;
    var li = known ? known.li : document.createElement("li");
    r.li = li;
    li.textContent = "";
    var doc = document.createElement("strong");
    doc.textContent = r.document;
    var state = document.createElement("span");
    state.textContent = " – " + t("state." + r.state);
    li.appendChild(doc);
    li.appendChild(state);
    if (r.file) X.addFile(r.file, false);
    if (X.staff() && r.state === "requested") {
      var paper = document.createElement("button");
      paper.type = "button";
      paper.textContent = t("on_paper");
      paper.addEventListener("click", function () { X.call("signed_on_paper", { request_id: r.id }); });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(paper);
    }
    if (!known) $("exchange-signatures").appendChild(li);
    if (announce) X.say(X.staff() ? t(r.state === "signed" ? "signature_arrived" : "signature_requested", { document: r.document })
      : (r.state === "requested" ? t("sign_now", { document: r.document }) : ""));
    if (!X.staff()) {
      openPad();
      if (announce && r.state === "requested") X.notify(t("sign_now", { document: r.document }), pad);
    }
  };

  var pad = $("exchange-pad");
  var ink = pad.getContext("2d");
  var drawn = false;
  var drawing = null;
  var padRequest = null;

  function blank() {
    ink.fillStyle = "#fff";
    ink.fillRect(0, 0, pad.width, pad.height);
    drawn = false;
  }

  /* The pad shows for the oldest request still waiting for a signature. */
  function openPad() {
    var requests = X.requests;
    var open = Object.keys(requests).map(function (k) { return requests[k]; })
      .filter(function (r) { return r.state === "requested"; })
      .sort(function (a, b) { return a.at - b.at; })[0];
    var box = $("exchange-pad-box");
    if (!open || X.over) { box.hidden = true; padRequest = null; return; }
    if (padRequest !== open.id) { padRequest = open.id; blank(); }
    $("exchange-pad-title").textContent = t("sign_now", { document: open.document });
    box.hidden = false;
  }

  function point(event) {
    var rect = pad.getBoundingClientRect();
    return [(event.clientX - rect.left) * pad.width / rect.width, (event.clientY - rect.top) * pad.height / rect.height];
  }
  pad.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = point(event);
    ink.strokeStyle = "#0b1a33";
    ink.lineWidth = 3;
    ink.lineCap = "round";
    ink.lineJoin = "round";
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    if (!events.length) events = [event];
    events.forEach(function (e) {
      var next = point(e);
      ink.beginPath();
      ink.moveTo(drawing[0], drawing[1]);
      ink.lineTo(next[0], next[1]);
      ink.stroke();
      drawing = next;
      drawn = true;
    });
  });
  function stop() { drawing = null; }
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  $("exchange-pad-clear").addEventListener("click", function () { blank(); X.showError("exchange-pad-error", ""); pad.focus(); });
  $("exchange-pad-send").addEventListener("click", function () {
    if (!padRequest) return;
    if (!drawn) { X.showError("exchange-pad-error", t("pad_empty")); return; }
    var id = padRequest;
    pad.toBlob(function (blob) {
      X.send(blob, "signature.png", { "X-Signature-Request": id }, function (error) {
        if (error) X.showError("exchange-pad-error", error);
        else { X.showError("exchange-pad-error", ""); X.say(t("signature_sent")); }
      });
    }, "image/png");
  });

  $("exchange-sign-request").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("exchange-document");
    var name = input.value.trim();
    if (!name) { input.focus(); return; }
    X.call("signature_request", { document: name }, function (answer) {
      if (answer.ok) { input.value = ""; X.showError("exchange-sign-error", ""); }
      else X.showError("exchange-sign-error", answer.message || t("failed"));
    });
  });
})(window.VO, window.VO.exchange);
