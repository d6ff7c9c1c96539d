/* Joining the queue (POST /api/offices/<id>/tickets) and waiting in it: the ticket's place,
 * the estimate and the office's announcements, live over socket.io (/citizen). */
(function (VO, R) {
  "use strict";

  var $ = VO.$;
  var t = R.t;
  var config = R.config;

  /* ---------- joining ---------- */

  if ("Notification" in window && window.Notification.permission !== "denied") $("notify-field").hidden = false;

  function formatWhen(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    try {
      return new Intl.DateTimeFormat(config.lang === "de" ? "de-DE" : "en-GB", {
        weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: config.timezone
      }).format(date);
    } catch (e) {
      return date.toLocaleString();
    }
  }

  function clock(ms) {
    try {
      return new Intl.DateTimeFormat(config.lang === "de" ? "de-DE" : "en-GB", {
        hour: "2-digit", minute: "2-digit", timeZone: config.timezone
      }).format(new Date(ms));
    } catch (e) {
      return new Date(ms).toLocaleTimeString();
    }
  }

  function closedText(message, opensAt) {
    return message + (opensAt ? " " + t("opens_at", { when: formatWhen(opensAt) }) : "");
  }

  if (!config.can_join) $("closed-notice").textContent = closedText(t("closed"), config.opens_at);

  function showJoinError(text) {
    var box = $("join-error");
    box.textContent = text;
    box.hidden = false;
  }

  var joining = false;
  $("join").addEventListener("click", function () {
    if (joining) return;
    if (VO.kept(config.storage_key)) {  // this browser joined meanwhile (another tab): the same place
      R.enterQueue(null);
      return;
    }
    joining = true;
    $("join-error").hidden = true;
    R.prepareSound();
    var wantsNotice = $("notify").checked && "Notification" in window;
    VO.store(R.NOTIFY_KEY, wantsNotice ? "1" : null);
    var asked = wantsNotice && window.Notification.permission === "default"
      ? Promise.resolve(window.Notification.requestPermission()).catch(function () {})
      : Promise.resolve();
    var concern = $("concern").value === "__other" ? $("concern-other").value : $("concern").value;
    var body = { language: $("language").value };
    if ($("name").value.trim()) body.name = $("name").value.trim();
    if (concern.trim()) body.concern = concern.trim();
    asked.then(function () {
      return fetch("/api/offices/" + encodeURIComponent(config.office_id) + "/tickets?lang=" + config.lang, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit"
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 201 && data.token) {
          R.keepToken(data.token);
          R.enterQueue(data.ticket);
        } else if (data.error === "closed") {
          showJoinError(closedText(data.message || t("closed"), data.opens_at));
        } else {
          showJoinError(data.message || t("join_failed"));
        }
      });
    }).catch(function () {
      showJoinError(t("join_failed"));
    }).then(function () { joining = false; });
  });

  /* ---------- waiting ---------- */

  var connectionTimer = 0;

  R.connection = function (state) {
    var line = $("connection");
    window.clearTimeout(connectionTimer);
    line.setAttribute("data-state", state);
    line.textContent = state === "reconnecting" ? t("reconnecting") : state === "back" ? t("reconnected") : "";
    if (state === "back") connectionTimer = window.setTimeout(function () { R.connection("live"); }, 4000);
  };

  function estimateText(estimate) {
    if (!estimate) return t("estimate.unknown");
    if (estimate.min === estimate.max) return t("estimate.about", { n: estimate.max });
    if (!estimate.min) return t("estimate.up_to", { n: estimate.max });
    return t("estimate.range", { min: estimate.min, max: estimate.max });
  }

  function render(ticket) {
    var last = R.last;
    // Pushes may overtake each other on the way (a batched update read just before a call arrives
    // after the call's own push): one read before what this page shows is old news.
    if (typeof ticket.as_of === "number") {
      if (last.asOf && ticket.as_of < last.asOf) return;
      last.asOf = ticket.as_of;
    }
    $("number").textContent = ticket.number;
    $("position").textContent = ticket.position ? String(ticket.position) : "–";
    $("ahead").textContent = typeof ticket.ahead === "number" ? t("ahead", { n: ticket.ahead }) : "–";
    $("estimate").textContent = ticket.state === "waiting" ? estimateText(ticket.estimate) : "–";
    // A booked appointment shows its time instead of the place until the time comes (it goes
    // before every walk-in anyway); then the place, like everyone's.
    var due = ticket.appointment_at ? Date.parse(ticket.appointment_at) : NaN;
    var appointment = ticket.state === "waiting" && due > Date.now() ? clock(due) : null;
    $("appointment").hidden = !appointment;
    $("appointment").textContent = appointment ? t("appointment", { time: appointment }) : "";
    window.clearTimeout(R.appointmentTimer);
    if (appointment) R.appointmentTimer = window.setTimeout(function () { render(ticket); }, due - Date.now() + 500);
    if (ticket.state === "waiting" && ticket.position && ticket.position !== last.position) {
      // only the position is announced, not every estimate update
      R.announce(last.position === null
        ? (appointment ? t("joined_appointment", { number: ticket.number, time: appointment })
          : t("joined", { number: ticket.number, position: ticket.position }))
        : ticket.position === 1 ? t("position_next") : t("position_now", { position: ticket.position }));
    }
    // every clerk of the office on a break: the citizen knows why nothing moves, and keeps the place
    var paused = ticket.state === "waiting" && ticket.office_status === "paused";
    $("paused-notice").hidden = !paused;
    if (paused && !last.paused) R.announce(t("paused"));
    last.paused = paused;
    last.position = ticket.state === "waiting" ? ticket.position : null;
    last.number = ticket.number;
    if (ticket.state === "called" && ticket.call) R.showCall(ticket);
    else R.endCall();
    $("facts").hidden = ticket.state !== "waiting" || !!appointment;  // the place in the queue means nothing once called
    $("queue-state").hidden = ticket.state === "called";
    $("queue-state").textContent = ticket.state === "in_visit" ? t("in_visit") : t("queue_hint");
    // the visit's tab was closed: the way back into it (a ticket's token begins with its id, the visit's)
    var token = VO.kept(config.storage_key);
    $("back-to-visit").hidden = ticket.state !== "in_visit" || !token;
    if (token) $("back-to-visit-link").href = "/visit/" + encodeURIComponent(token.split(".")[0]) + (R.parentOrigin ? "?embed=1" : "");
    last.state = ticket.state;
  }

  /* The token belongs to the browser (every tab of it), for as long as the grace period could
   * keep the place after the last page went; every open page pushes that time on. */
  R.keepToken = function (token) { VO.keep(config.storage_key, token, config.keep_seconds || 300); };
  var keepTimer = 0;

  R.enterQueue = function (ticket) {
    R.resuming = !ticket;  // from the browser's storage: the server still has to confirm the ticket
    R.showStep("queue");
    R.post("state", { in_queue: true });
    if (ticket) render(ticket);
    connect();
    window.clearInterval(keepTimer);
    keepTimer = window.setInterval(function () {
      if (R.socket && R.socket.connected) VO.touch(config.storage_key);
    }, 20000);
  };

  R.stopKeeping = function () {
    window.clearInterval(keepTimer);
    keepTimer = 0;
  };
  window.addEventListener("pagehide", function () { if (R.socket) VO.touch(config.storage_key); });

  function connect() {
    if (R.socket || typeof window.io !== "function") return;
    var socket = R.socket = window.io("/citizen", {
      auth: { token: VO.kept(config.storage_key), lang: config.lang },
      transports: ["websocket", "polling"]
    });
    var everConnected = false;
    socket.on("connect", function () {
      R.connection(everConnected ? "back" : "live");
      everConnected = true;
    });
    socket.on("disconnect", function (reason) {
      R.connection("reconnecting");
      if (reason === "io server disconnect") window.setTimeout(function () { if (R.socket) R.socket.connect(); }, 2000);
    });
    socket.on("connect_error", function (err) {
      if (err && err.data && err.data.error === "unknown_ticket") {
        if (R.resuming) R.startAfresh();  // a token kept from earlier, its ticket long gone
        else R.ended("unknown");
        return;
      }
      R.connection("reconnecting");
      // a refusal (e.g. the server briefly without Redis) is not retried by the client itself
      if (!R.socket.active) window.setTimeout(function () { if (R.socket) R.socket.connect(); }, 3000);
    });
    socket.on("ticket", function (ticket) {
      R.resuming = false;
      VO.touch(config.storage_key);
      render(ticket);
    });
    socket.on("announcement", function (data) {
      if (!data || !data.text) return;
      var list = $("announcement-list");
      var seen = Array.prototype.some.call(list.children, function (li) { return li.getAttribute("data-text") === data.text; });
      if (seen && !data.at) return;  // the office's latest message, sent again on every connect
      var item = document.createElement("li");
      item.setAttribute("data-text", data.text);
      if (data.at) {
        var time = document.createElement("time");
        time.dateTime = new Date(data.at).toISOString();
        time.textContent = t("announcement.at", { time: clock(data.at) });
        item.appendChild(time);
        item.appendChild(document.createTextNode(" "));
      }
      item.appendChild(document.createTextNode(data.text));
      list.insertBefore(item, list.firstChild);
      while (list.children.length > 5) list.removeChild(list.lastChild);
      $("announcements").hidden = false;
    });
    socket.on("ended", function (data) { R.ended((data && data.reason) || "finished"); });
  }
})(window.VO, window.VO.room);
