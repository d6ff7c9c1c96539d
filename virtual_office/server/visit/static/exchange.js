/* The visit's exchange panel: chat, files, signature, ID check and (for staff) the visit record.
 *
 * Talks to the /visit namespace: the page's socket when it shares one
 * (window.VirtualOfficeVisit.socket), else a connection of its own with the same
 * credentials (the citizen's ticket token from sessionStorage, staff's login cookie).
 * Files go over HTTP (POST/GET /visit/<id>/files). Everything people typed or named is
 * put into the page as text (textContent), never as HTML; links are not made clickable.
 */
(function () {
  "use strict";

  var root = document.getElementById("exchange");
  if (!root) return;
  var mount = document.getElementById("visit-exchange");
  if (mount && !mount.contains(root)) mount.appendChild(root);

  function $(id) { return document.getElementById(id); }
  var pageConfig = {};
  try { pageConfig = JSON.parse(($("visit-config") || {}).textContent || "{}"); } catch (e) { pageConfig = {}; }
  var visitId = root.getAttribute("data-visit") || pageConfig.visit_id ||
    (window.location.pathname.match(/\/visit\/([0-9a-f]{16})/) || [])[1] || "";
  var lang = pageConfig.lang || document.documentElement.lang || "de";

  var strings = {};
  var me = null;
  var limits = { max_bytes: 0, types: [] };
  var files = {};
  var requests = {};
  var over = false;
  var socket = null;

  function t(key, values) {
    var text = strings[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }
  function staff() { return me && me.role !== "citizen"; }
  function say(text) {
    var box = $("exchange-announcer");
    box.textContent = "";
    window.setTimeout(function () { box.textContent = text; }, 50);
  }
  function showError(id, text) { var el = $(id); el.textContent = text || ""; el.hidden = !text; }
  function megabytes(bytes) { return (Math.round(bytes / 100000) / 10).toLocaleString(lang); }
  function clock(ms) {
    try { return new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }); } catch (e) { return ""; }
  }

  /* ---------- credentials and the connection ---------- */

  function citizenToken() {
    var shared = window.VirtualOfficeVisit;
    if (shared && typeof shared.token === "string") return shared.token;
    try {
      var keys = [pageConfig.storage_key];
      for (var i = 0; i < window.sessionStorage.length; i++) keys.push(window.sessionStorage.key(i));
      for (var j = 0; j < keys.length; j++) {
        if (!keys[j] || keys[j].indexOf("virtual-office.ticket.") !== 0) continue;
        var value = window.sessionStorage.getItem(keys[j]);
        if (value && value.indexOf(visitId + ".") === 0) return value;  // the token starts with the ticket id
      }
    } catch (e) { /* storage off: staff, or a citizen who cannot be recognised */ }
    return null;
  }
  var token = citizenToken();

  function call(event, data, done) {
    if (!socket || !socket.connected) { if (done) done({ ok: false, message: t("failed") }); return; }
    socket.timeout(10000).emit(event, data || {}, function (err, answer) {
      if (done) done(err || !answer ? { ok: false, message: t("failed") } : answer);
    });
  }

  function connect() {
    var shared = window.VirtualOfficeVisit && window.VirtualOfficeVisit.socket;
    socket = shared || window.io("/visit", {
      auth: { visit: visitId, token: token, lang: lang },
      transports: ["websocket", "polling"],
    });
    socket.on("connect", load);
    socket.on("chat", function (m) { addChat(m); });
    socket.on("file", function (f) { addFile(f, true); });
    socket.on("signature_request", function (r) { setRequest(r, true); });
    socket.on("signature", function (r) { setRequest(r, true); });
    socket.on("id_check_request", function () { idRequested(true); });
    socket.on("id_checked", function (d) { idChecked(!!d.checked); });
    socket.on("record", function (r) { showRecord(r); });
    socket.on("ended", ended);
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
    call("exchange", {}, function (answer) {
      if (!answer.ok) return;
      strings = answer.strings || strings;
      me = answer.me;
      limits = answer.limits || limits;
      Array.prototype.forEach.call(root.querySelectorAll("[data-for]"), function (el) {
        el.hidden = el.getAttribute("data-for") !== (staff() ? "staff" : "citizen");
      });
      if (limits.max_bytes) $("exchange-file-limit").textContent = t("limit", { mb: megabytes(limits.max_bytes) });
      clearList("exchange-chat-log");
      (answer.chat || []).forEach(function (m) { addChat(m); });
      files = {};
      clearList("exchange-files");
      (answer.files || []).forEach(function (f) { addFile(f, false); });
      requests = {};
      $("exchange-signatures").textContent = "";
      (answer.signatures || []).forEach(function (r) { setRequest(r, false); });
      if (answer.id_check_requested) idRequested(false);
      idChecked(!!answer.id_checked);
    });
  }

  function clearList(id) {
    var list = $(id);
    Array.prototype.slice.call(list.children).forEach(function (li) { if (!li.classList.contains("exchange-empty")) li.remove(); });
  }
  function append(listId, li) {
    var list = $(listId);
    var empty = list.querySelector(".exchange-empty");
    if (empty) empty.hidden = true;
    list.appendChild(li);
  }

  function who(item) {
    if (me && item.from === me.participant) return t("you");
    return (item.name || "") + " (" + t("role." + (item.role || (item.from === "citizen" ? "citizen" : "clerk"))) + ")";
  }

  /* ---------- chat ---------- */

  function addChat(m) {
    var li = document.createElement("li");
    li.className = "exchange-message" + (me && m.from === me.participant ? " own" : "");
    var head = document.createElement("p");
    head.className = "exchange-meta";
    var name = document.createElement("strong");
    name.textContent = who(m);
    var time = document.createElement("span");
    time.textContent = " " + clock(m.at);
    head.appendChild(name);
    head.appendChild(time);
    var text = document.createElement("p");
    text.className = "exchange-text";
    text.textContent = m.text;  // text only: markup and links stay as typed
    li.appendChild(head);
    li.appendChild(text);
    append("exchange-chat-log", li);
    var log = $("exchange-chat-log");
    log.scrollTop = log.scrollHeight;
  }

  $("exchange-chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = $("exchange-chat-text");
    var text = box.value.trim();
    if (!text || over) return;
    call("chat", { text: text }, function (answer) {
      if (answer.ok) { box.value = ""; showError("exchange-chat-error", ""); }
      else showError("exchange-chat-error", answer.message || t("failed"));
    });
  });
  $("exchange-chat-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("exchange-chat-form").requestSubmit();
    }
  });

  /* ---------- files ---------- */

  function fileUrl(id) { return "/visit/" + visitId + "/files/" + id; }

  function addFile(f, announce) {
    if (files[f.id]) return;
    files[f.id] = f;
    var li = document.createElement("li");
    li.className = "exchange-file";
    var link = document.createElement("a");
    link.href = fileUrl(f.id);
    link.textContent = f.name;
    link.setAttribute("download", f.name);
    link.addEventListener("click", function (event) { event.preventDefault(); fetchFile(f); });
    var about = document.createElement("span");
    about.className = "muted";
    about.textContent = " – " + Math.max(1, Math.round(f.size / 1024)) + " KB, " + who(f) + ", " + clock(f.at);
    li.appendChild(link);
    li.appendChild(about);
    append("exchange-files", li);
    if (announce && !(me && f.from === me.participant)) say(t("new_file", { name: who(f), file: f.name }));
  }

  /* A link cannot carry the citizen's token: fetch with it, then save the result. */
  function fetchFile(f) {
    var headers = token ? { Authorization: "Bearer " + token } : {};
    fetch(fileUrl(f.id) + "?lang=" + lang, { headers: headers, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) return response.json().then(function (body) { throw new Error(body.message || t("failed")); });
      return response.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = document.createElement("a");
      a.href = url;
      a.download = f.name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }).catch(function (err) { showError("exchange-file-error", err.message || t("failed")); });
  }

  function send(blob, name, extraHeaders, onDone) {
    var progress = $("exchange-file-progress");
    var status = $("exchange-file-status");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/visit/" + visitId + "/files?lang=" + encodeURIComponent(lang));
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(name));
    if (token) xhr.setRequestHeader("Authorization", "Bearer " + token);
    Object.keys(extraHeaders || {}).forEach(function (k) { xhr.setRequestHeader(k, extraHeaders[k]); });
    progress.value = 0;
    progress.hidden = false;
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round(100 * event.loaded / event.total);
      progress.value = percent;
      status.textContent = t("uploading", { percent: percent });
    };
    xhr.onload = function () {
      progress.hidden = true;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 201) { status.textContent = t("uploaded", { name: body.file ? body.file.name : name }); onDone(null, body.file); }
      else { status.textContent = ""; onDone(body.message || t("failed")); }
    };
    xhr.onerror = function () { progress.hidden = true; status.textContent = ""; onDone(t("failed")); };
    xhr.send(blob);
  }

  $("exchange-file-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("exchange-file");
    var file = input.files && input.files[0];
    if (!file) { showError("exchange-file-error", t("no_file")); return; }
    if (limits.max_bytes && file.size > limits.max_bytes) {  // the server checks too; this saves sending it
      showError("exchange-file-error", t("too_large", { mb: megabytes(limits.max_bytes) }));
      return;
    }
    showError("exchange-file-error", "");
    send(file, file.name, {}, function (error) {
      if (error) { showError("exchange-file-error", error); input.focus(); }
      else input.value = "";
    });
  });

  /* ---------- signatures ---------- */

  function setRequest(r, announce) {
    var known = requests[r.id];
    requests[r.id] = r;
    var li = known ? known.li : document.createElement("li");
    r.li = li;
    li.textContent = "";
    var doc = document.createElement("strong");
    doc.textContent = r.document;
    var state = document.createElement("span");
    state.textContent = " – " + t("state." + r.state);
    li.appendChild(doc);
    li.appendChild(state);
    if (r.file) addFile(r.file, false);
    if (staff() && r.state === "requested") {
      var paper = document.createElement("button");
      paper.type = "button";
      paper.textContent = t("on_paper");
      paper.addEventListener("click", function () { call("signed_on_paper", { request_id: r.id }); });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(paper);
    }
    if (!known) $("exchange-signatures").appendChild(li);
    if (announce) say(staff() ? t(r.state === "signed" ? "signature_arrived" : "signature_requested", { document: r.document })
      : (r.state === "requested" ? t("sign_now", { document: r.document }) : ""));
    if (!staff()) openPad();
  }

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
    var open = Object.keys(requests).map(function (k) { return requests[k]; })
      .filter(function (r) { return r.state === "requested"; })
      .sort(function (a, b) { return a.at - b.at; })[0];
    var box = $("exchange-pad-box");
    if (!open || over) { box.hidden = true; padRequest = null; return; }
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
  $("exchange-pad-clear").addEventListener("click", function () { blank(); showError("exchange-pad-error", ""); pad.focus(); });
  $("exchange-pad-send").addEventListener("click", function () {
    if (!padRequest) return;
    if (!drawn) { showError("exchange-pad-error", t("pad_empty")); return; }
    var id = padRequest;
    pad.toBlob(function (blob) {
      send(blob, "signature.png", { "X-Signature-Request": id }, function (error) {
        if (error) showError("exchange-pad-error", error);
        else { showError("exchange-pad-error", ""); say(t("signature_sent")); }
      });
    }, "image/png");
  });

  $("exchange-sign-request").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("exchange-document");
    var name = input.value.trim();
    if (!name) { input.focus(); return; }
    call("signature_request", { document: name }, function (answer) {
      if (answer.ok) { input.value = ""; showError("exchange-sign-error", ""); }
      else showError("exchange-sign-error", answer.message || t("failed"));
    });
  });

  /* ---------- ID check ---------- */

  function idRequested(announce) {
    if (staff()) { if (announce) say(t("id_requested")); return; }
    $("exchange-id-done").hidden = true;
    $("exchange-id-instruction").hidden = false;
  }
  function idChecked(checked) {
    if (staff()) { $("exchange-id-checked").checked = checked; return; }
    if (checked) $("exchange-id-instruction").hidden = true;
    $("exchange-id-done").hidden = !checked;
  }
  $("exchange-id-ask").addEventListener("click", function () { call("id_check_request"); });
  $("exchange-id-checked").addEventListener("change", function (event) { call("id_checked", { checked: event.target.checked }); });
  $("exchange-id-enlarge").addEventListener("click", function () {
    // The citizen's camera tile of the visit page (templates/visit/visit.html); no picture is taken.
    var tile = document.querySelector('#tiles [data-participant="citizen"]:not(.screen)');
    var button = $("exchange-id-enlarge");
    var on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (tile) tile.classList.toggle("exchange-enlarged", on);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && $("exchange-id-enlarge").getAttribute("aria-pressed") === "true") $("exchange-id-enlarge").click();
  });

  /* ---------- the visit record ---------- */

  function showRecord(record) {
    if (!record) return;
    $("exchange-record").value = record.text;
    $("exchange-record-status").textContent = record.final ? t("record_final") : "";
  }
  $("exchange-record-make").addEventListener("click", function () {
    call("record", {}, function (answer) { if (answer.ok) showRecord(answer.record); });
  });
  $("exchange-record-copy").addEventListener("click", function () {
    var box = $("exchange-record");
    var done = function () { $("exchange-record-status").textContent = t("copied"); };
    var manual = function () { box.focus(); box.select(); $("exchange-record-status").textContent = t("copy_failed"); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(box.value).then(done, manual);
    else manual();
  });

  /* ---------- the end ---------- */

  function ended() {
    over = true;
    files = {};
    clearList("exchange-files");
    var empty = $("exchange-files").querySelector(".exchange-empty");
    if (empty) empty.hidden = false;
    $("exchange-pad-box").hidden = true;
    $("exchange-id-instruction").hidden = true;
    Array.prototype.forEach.call(root.querySelectorAll("form button, form input, form textarea"), function (el) { el.disabled = true; });
    var notice = $("exchange-ended");
    notice.textContent = t("ended");
    notice.hidden = false;
    // The visit page puts its end notice in place of the visit: the clerk keeps the final
    // record there, to copy it after the visit, until the page is left.
    var end = $("ended");
    var record = $("exchange-record-heading").parentNode;
    if (staff() && end && !root.contains(end) && $("exchange-record").value) end.appendChild(record);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
