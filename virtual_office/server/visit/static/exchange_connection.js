/* The exchange panel's connection: the credentials, the socket (the visit page's when there
 * is one) and everything so far, loaded again after a reload or a lost connection. */
(function (VO, X) {
  "use strict";

  if (!X) return;
  var $ = VO.$;
  var t = X.t;

  function citizenToken() {
    var shared = window.VirtualOfficeVisit;
    if (shared && typeof shared.token === "string") return shared.token;
    var keys = [X.pageConfig.storage_key];
    ["localStorage", "sessionStorage"].forEach(function (name) {
      try {
        var storage = window[name];
        for (var i = 0; i < storage.length; i++) keys.push(storage.key(i));
      } catch (e) { /* storage off: staff, or a citizen who cannot be recognised */ }
    });
    for (var j = 0; j < keys.length; j++) {
      if (!keys[j] || keys[j].indexOf("virtual-office.ticket.") !== 0) continue;
      var value = VO.kept(keys[j]);  // the waiting room keeps it (VO.keep)
      if (value && value.indexOf(X.visitId + ".") === 0) return value;  // the token starts with the ticket id
    }
    return null;
  }
  X.token = citizenToken();

  function connect() {
    var shared = window.VirtualOfficeVisit && window.VirtualOfficeVisit.socket;
    var socket = X.socket = shared || window.io("/visit", {
      auth: { visit: X.visitId, token: X.token, lang: X.lang },
      transports: ["websocket", "polling"],
    });
    socket.on("connect", load);
    socket.on("chat", function (m) { X.addChat(m, true); });
    socket.on("file", function (f) { X.addFile(f, true); });
    socket.on("signature_request", function (r) { X.setRequest(r, true); });
    socket.on("signature", function (r) { X.setRequest(r, true); });
    socket.on("id_check_request", function () { X.idRequested(true); });
    socket.on("id_checked", function (d) { X.idChecked(!!d.checked); });
    socket.on("record", function (r) { X.showRecord(r); });
    socket.on("ended", X.ended);
    if (X.paymentsConnected) X.paymentsConnected(socket);
    if (socket.connected) load();
  }

  function start() {
    if (window.io || (window.VirtualOfficeVisit && window.VirtualOfficeVisit.socket)) { connect(); return; }
    var script = document.createElement("script");
    script.src = "/static/vendor/socket.io.min.js";
    script.onload = connect;
    document.head.appendChild(script);
  }

  /* Everything so far (also after a reload or a lost connection). */
  function load() {
    X.call("exchange", {}, function (answer) {
      if (!answer.ok) return;
      X.strings = answer.strings || X.strings;
      X.me = answer.me;
      X.limits = answer.limits || X.limits;
      var staff = X.staff();
      Array.prototype.forEach.call(X.root.querySelectorAll("[data-for]"), function (el) {
        el.hidden = el.getAttribute("data-for") !== (staff ? "staff" : "citizen");
      });
      if (X.limits.max_bytes) $("exchange-file-limit").textContent = t("limit", { mb: X.megabytes(X.limits.max_bytes) });
      X.clearList("exchange-chat-log");
      (answer.chat || []).forEach(function (m) { X.addChat(m); });
      X.files = {};
      X.clearList("exchange-files");
      (answer.files || []).forEach(function (f) { X.addFile(f, false); });
      X.requests = {};
      $("exchange-signatures").textContent = "";
      (answer.signatures || []).forEach(function (r) { X.setRequest(r, false); });
      if (answer.id_check_requested) X.idRequested(false);
      X.idChecked(!!answer.id_checked);
      if (X.loadPayments) X.loadPayments();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(window.VO, window.VO.exchange);
