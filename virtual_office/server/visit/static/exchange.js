/* The visit's exchange panel: chat, files, signature, ID check and (for staff) the visit record.
 *
 * Talks to the /visit namespace: the page's socket when it shares one
 * (window.VirtualOfficeVisit.socket), else a connection of its own with the same
 * credentials (the citizen's ticket token from sessionStorage, staff's login cookie).
 * Files go over HTTP (POST/GET /visit/<id>/files). Everything people typed or named is
 * put into the page as text (textContent), never as HTML; links are not made clickable.
 *
 * The panel is built from a few modules, in this order: exchange.js (this file: what the
 * others share, as VO.exchange, and the chat), exchange_files.js, exchange_signature.js,
 * exchange_record.js (ID check, visit record, the end) and exchange_connection.js (the
 * socket and loading everything so far).
 */
(function (VO) {
  "use strict";

  var $ = VO.$;
  var root = $("exchange");
  if (!root) return;
  var mount = $("visit-exchange");
  if (mount && !mount.contains(root)) mount.appendChild(root);

  var pageConfig = {};
  try { pageConfig = JSON.parse(($("visit-config") || {}).textContent || "{}"); } catch (e) { pageConfig = {}; }
  var lang = pageConfig.lang || document.documentElement.lang || "de";

  var X = VO.exchange = {
    root: root,
    pageConfig: pageConfig,
    visitId: root.getAttribute("data-visit") || pageConfig.visit_id ||
      (window.location.pathname.match(/\/visit\/([0-9a-f]{16})/) || [])[1] || "",
    lang: lang,
    strings: {},  // sent by the server with everything so far
    me: null,
    limits: { max_bytes: 0, types: [] },
    files: {},
    requests: {},
    over: false,
    socket: null
  };

  X.t = function (key, values) { return VO.format(X.strings[key] || key, values); };
  var t = X.t;
  X.staff = function () { return X.me && X.me.role !== "citizen"; };
  X.say = VO.announcer("exchange-announcer");
  X.showError = function (id, text) { var el = $(id); el.textContent = text || ""; el.hidden = !text; };
  X.megabytes = function (bytes) { return (Math.round(bytes / 100000) / 10).toLocaleString(lang); };
  X.clock = function (ms) {
    try { return new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }); } catch (e) { return ""; }
  };

  X.call = function (event, data, done) {
    var socket = X.socket;
    if (!socket || !socket.connected) { if (done) done({ ok: false, message: t("failed") }); return; }
    socket.timeout(10000).emit(event, data || {}, function (err, answer) {
      if (done) done(err || !answer ? { ok: false, message: t("failed") } : answer);
    });
  };

  X.clearList = function (id) {
    var list = $(id);
    Array.prototype.slice.call(list.children).forEach(function (li) { if (!li.classList.contains("exchange-empty")) li.remove(); });
  };
  X.append = function (listId, li) {
    var list = $(listId);
    var empty = list.querySelector(".exchange-empty");
    if (empty) empty.hidden = true;
    list.appendChild(li);
  };

  X.who = function (item) {
    if (X.me && item.from === X.me.participant) return t("you");
    return (item.name || "") + " (" + t("role." + (item.role || (item.from === "citizen" ? "citizen" : "clerk"))) + ")";
  };

  /* ---------- chat ---------- */

  X.addChat = function (m) {
    var li = document.createElement("li");
    li.className = "exchange-message" + (X.me && m.from === X.me.participant ? " own" : "");
    var head = document.createElement("p");
    head.className = "exchange-meta";
    var name = document.createElement("strong");
    name.textContent = X.who(m);
    var time = document.createElement("span");
    time.textContent = " " + X.clock(m.at);
    head.appendChild(name);
    head.appendChild(time);
    var text = document.createElement("p");
    text.className = "exchange-text";
    text.textContent = m.text;  // text only: markup and links stay as typed
    li.appendChild(head);
    li.appendChild(text);
    X.append("exchange-chat-log", li);
    var log = $("exchange-chat-log");
    log.scrollTop = log.scrollHeight;
  };

  $("exchange-chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = $("exchange-chat-text");
    var text = box.value.trim();
    if (!text || X.over) return;
    X.call("chat", { text: text }, function (answer) {
      if (answer.ok) { box.value = ""; X.showError("exchange-chat-error", ""); }
      else X.showError("exchange-chat-error", answer.message || t("failed"));
    });
  });
  $("exchange-chat-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("exchange-chat-form").requestSubmit();
    }
  });
})(window.VO);
