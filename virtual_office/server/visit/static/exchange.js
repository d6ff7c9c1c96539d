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
 * exchange_record.js (ID check, visit record, the end), exchange_payments.js (fees) and exchange_connection.js (the
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

  /* ---------- a notice at the top for what arrives out of view ---------- */

  /* On a phone the panel is below the video: a message, a file, a signature or ID request that
   * arrives there is named at the top of the page (#exchange-notice in visit.html), with a link to
   * it and a button to close the notice. It never takes the focus; the panel's live regions speak. */
  var notice = $("exchange-notice");
  var noticeTarget = null;
  var focusBefore = null;

  /* Seen: all of it on the screen, or at least half a screen of it when it is taller. */
  function inView(el) {
    var box = el.getBoundingClientRect();
    var height = window.innerHeight || document.documentElement.clientHeight;
    var shown = Math.min(box.bottom, height) - Math.max(box.top, 0);
    return box.height > 0 && shown >= Math.min(box.height, height / 2) - 1;
  }

  function closeNotice() {
    var hadFocus = notice.contains(document.activeElement);
    notice.hidden = true;
    noticeTarget = null;
    if (hadFocus) (focusBefore && document.contains(focusBefore) ? focusBefore : $("main")).focus();
  }

  /* Show text at the top unless what arrived (seen, else target) is in view; the notice's link
   * leads to target (and focuses it). */
  X.notify = function (text, target, seen) {
    if (!notice || !target || !text || inView(seen || target)) return;
    noticeTarget = target;
    $("exchange-notice-link").textContent = text;
    notice.hidden = false;
  };

  if (notice) {
    notice.addEventListener("focusin", function (event) {
      if (!notice.contains(event.relatedTarget)) focusBefore = event.relatedTarget;
    });
    $("exchange-notice-link").addEventListener("click", function (event) {
      event.preventDefault();
      var target = noticeTarget;
      notice.hidden = true;
      noticeTarget = null;
      if (!target) return;
      if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "center" });
    });
    $("exchange-notice-close").addEventListener("click", closeNotice);
    notice.addEventListener("keydown", function (event) { if (event.key === "Escape") closeNotice(); });
    // Scrolled down to it: the notice has done its work (unless someone is using it).
    window.addEventListener("scroll", function () {
      if (!notice.hidden && noticeTarget && inView(noticeTarget) && !notice.contains(document.activeElement)) closeNotice();
    }, { passive: true });
  }

  /* ---------- chat ---------- */

  /* live: it has just arrived (not loaded with everything so far). */
  X.addChat = function (m, live) {
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
    if (live && !(X.me && m.from === X.me.participant)) X.notify(t("new_message", { name: X.who(m) }), log, li);
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
