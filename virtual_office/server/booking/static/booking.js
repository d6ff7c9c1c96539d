/* The booking pages: choosing services, a day and a time (radio buttons in fieldsets: Tab reaches
 * each group, the arrow keys move within it, a screen reader reads "3 of 12"); sending the
 * booking (POST /api/offices/<id>/bookings) or the new time (POST /api/bookings/move); and on
 * a link's page the check-in (POST /api/bookings/check-in), whose ticket is kept as the waiting
 * room keeps its own (VO.keep under the office's key) before the waiting room opens.
 * In the widget's dialog the page tells the embedding page it is ready (and Escape), as the
 * waiting room does (waiting_room/static/frame.js). */
(function (VO) {
  "use strict";

  var $ = VO.$;
  var config = VO.config("booking-config");
  var t = VO.translator(config.strings);
  var announce = VO.announcer("announcer");
  var locale = config.lang === "de" ? "de-DE" : "en-GB";
  var MSG_SOURCE = "virtual-office";

  /* ---------- the widget's dialog ---------- */

  function findParent() {
    if (window.parent === window) return null;
    var allowed = config.frame_ancestors || [];
    var candidates = [];
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length) candidates.push(ancestors[0]);
    else {
      candidates.push(VO.stored(VO.PARENT_KEY));
      try { candidates.push(new URL(document.referrer).origin); } catch (e) { /* no referrer */ }
    }
    for (var i = 0; i < candidates.length; i++) {
      var origin = candidates[i];
      if (origin && origin !== "null" && (origin === window.location.origin || allowed.indexOf("*") >= 0 || allowed.indexOf(origin) >= 0)) {
        VO.store(VO.PARENT_KEY, origin);
        return origin;
      }
    }
    return null;
  }
  var parentOrigin = findParent();
  function post(type) {
    if (parentOrigin) window.parent.postMessage({ source: MSG_SOURCE, type: type }, parentOrigin);
  }
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") post("escape"); });

  /* ---------- formatting, in the office's time zone ---------- */

  function format(iso, options) {
    var date = new Date(iso);
    options.timeZone = config.timezone;
    try { return new Intl.DateTimeFormat(locale, options).format(date); } catch (e) { return date.toLocaleString(); }
  }
  function dayText(isoDate) {
    return format(isoDate + "T12:00:00Z", { weekday: "long", day: "numeric", month: "long" });
  }
  function timeText(iso) { return format(iso, { hour: "2-digit", minute: "2-digit" }); }
  function whenText(iso) {
    return format(iso, { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function request(url, body) {
    return fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + config.lang, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data.status = response.status;
        return data;
      });
    }, function () { return { error: "network", message: t("network") }; });
  }

  /* ---------- a link's page: checking in ---------- */

  if (config.mode === "link") {
    var enter = config.enter;
    if (enter && $("enter")) {
      $("enter").addEventListener("click", function () {
        var button = $("enter");
        button.disabled = true;
        $("enter-error").hidden = true;
        request("/api/bookings/check-in", { token: enter.token }).then(function (data) {
          if (data.token) {
            VO.keep(data.storage_key, data.token, data.keep_seconds || 300);
            window.location.assign(data.room_url + "?lang=" + config.lang);
            return;
          }
          $("enter-error").textContent = data.message || t("failed");
          $("enter-error").hidden = false;
          button.disabled = false;
        });
      });
    }
    post("ready");
    return;
  }

  /* ---------- choosing services, a day and a time ---------- */

  var form = $("booking-form");
  if (!form) { post("ready"); return; }
  var chosen = { day: null, start: null };
  var freeDays = [];
  var requestKey = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID()
    : String(Date.now()) + Math.random().toString(16).slice(2);

  function services() {
    if (config.mode === "move") return config.services;
    return Array.prototype.filter.call(form.querySelectorAll("input[name=services]"), function (box) { return box.checked; })
      .map(function (box) { return box.value; });
  }

  function fieldError(id, text) {
    var node = $(id + "-error");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function radio(name, value, label, checked) {
    var input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = value;
    input.checked = !!checked;
    var wrap = document.createElement("label");
    wrap.className = "choice";
    wrap.appendChild(input);
    wrap.appendChild(document.createTextNode(" " + label));
    return wrap;
  }

  function renderTimes() {
    var box = $("times");
    box.textContent = "";
    var day = freeDays.filter(function (d) { return d.date === chosen.day; })[0];
    $("time-field").hidden = !day;
    if (!day) return;
    $("time-legend").textContent = t("time_legend", { day: dayText(day.date) });
    if (day.times.indexOf(chosen.start) < 0) chosen.start = null;
    day.times.forEach(function (iso) { box.appendChild(radio("start", iso, timeText(iso), iso === chosen.start)); });
  }

  function renderDays() {
    var box = $("days");
    box.textContent = "";
    if (!freeDays.some(function (d) { return d.date === chosen.day; })) chosen.day = null;
    freeDays.forEach(function (d) {
      box.appendChild(radio("day", d.date, dayText(d.date) + " (" + t("free", { n: d.times.length }) + ")", d.date === chosen.day));
    });
    renderTimes();
  }

  var loading = 0;
  function loadDays() {
    var list = services();
    var mine = ++loading;
    freeDays = [];
    if (!list.length) {
      $("day-status").textContent = t("choose_service");
      renderDays();
      return Promise.resolve();
    }
    $("day-status").textContent = t("loading");
    return fetch("/api/offices/" + encodeURIComponent(config.office_id) + "/free-times?services=" +
      encodeURIComponent(list.join(",")) + "&lang=" + config.lang, { credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (mine !== loading) return;
        freeDays = data.days || [];
        $("day-status").textContent = data.days ? (freeDays.length ? t("days_found", { n: freeDays.length }) : t("no_days"))
          : (data.message || t("failed"));
        renderDays();
      }, function () {
        if (mine === loading) $("day-status").textContent = t("network");
      });
  }

  if (config.mode === "book") {  // moving keeps the booking's services: only the time changes
    form.addEventListener("change", function (event) {
      if (event.target.name === "services") { fieldError("services", ""); loadDays(); }
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "day") {
      chosen.day = event.target.value;
      fieldError("day", "");
      renderTimes();
    } else if (event.target.name === "start") {
      chosen.start = event.target.value;
      fieldError("time", "");
    }
  });

  /* ---------- sending ---------- */

  var sending = false;
  var solution = null;

  // The bot check solves while the citizen fills in the form; its widget fills the hidden field "altcha".
  function botcheckPayload() {
    var field = form.querySelector("input[name=altcha]");
    return (field && field.value) || solution;
  }
  document.addEventListener("statechange", function (event) {
    if (event.detail && event.detail.state === "verified") solution = event.detail.payload;
  });
  function renewBotcheck() {
    // A solution counts once: a new challenge for the next try (the widget solves it by itself).
    var old = $("altcha");
    if (!old) return;
    solution = null;
    var fresh = old.cloneNode(false);
    old.parentNode.replaceChild(fresh, old);
  }
  function waitForBotcheck(timeoutMs) {
    return new Promise(function (resolve) {
      var started = Date.now();
      (function poll() {
        if (botcheckPayload() || Date.now() - started > timeoutMs) resolve(botcheckPayload());
        else window.setTimeout(poll, 200);
      })();
    });
  }

  function summary(items) {
    var box = $("form-error");
    box.textContent = "";
    if (!items.length) { box.hidden = true; return; }
    var heading = document.createElement("h2");
    heading.textContent = t("errors_heading");
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      if (item.target) {
        var a = document.createElement("a");
        a.href = "#" + item.target;
        a.textContent = item.text;
        a.addEventListener("click", function (event) {
          event.preventDefault();
          var target = $(item.target);
          var focusable = target.matches("input") ? target : target.querySelector("input");
          (focusable || target).focus();
        });
        li.appendChild(a);
      } else li.textContent = item.text;
      list.appendChild(li);
    });
    box.appendChild(heading);
    box.appendChild(list);
    box.hidden = false;
    box.focus();
  }

  function check() {
    var problems = [];
    ["services", "day", "time", "email", "phone", "consent"].forEach(function (id) { fieldError(id, ""); });
    if (config.mode === "book" && !services().length) problems.push({ id: "services", target: "services-field", text: t("need_service") });
    if (!chosen.day) problems.push({ id: "day", target: "day-field", text: t("need_day") });
    else if (!chosen.start) problems.push({ id: "time", target: "time-field", text: t("need_time") });
    if (config.mode === "book") {
      var email = $("email").value.trim();
      if (!email) problems.push({ id: "email", target: "email", text: t("need_email") });
      else if (!/^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/.test(email)) problems.push({ id: "email", target: "email", text: t("bad_email") });
      if (!$("consent").checked) problems.push({ id: "consent", target: "consent", text: t("need_consent") });
    }
    problems.forEach(function (p) { fieldError(p.id, p.text); });
    return problems;
  }

  function serverError(data) {
    var field = { services: "services", start: "time", email: "email", phone: "phone", consent: "consent" }[data.field];
    var text = data.message || t("failed");
    var items = [{ text: text, target: field === "time" ? "time-field" : field === "services" ? "services-field" : field }];
    if (field) fieldError(field, text);
    if (data.next_free && data.next_free.length) {
      items.push({ text: t("next_free", { times: data.next_free.map(whenText).join("; ") }) });
    }
    if (data.error === "slot_full" || data.error === "too_late" || data.error === "in_the_past") loadDays();
    summary(items);
  }

  function done(data) {
    var booking = data.booking;
    form.hidden = true;
    $("done").hidden = false;
    if (config.mode === "book") {
      $("done-heading").textContent = t("done_heading");
      $("done-text").textContent = t("done_text", { email: booking.email, time: booking.hold_until ? timeText(booking.hold_until) : "", n: booking.hold_minutes });
    } else {
      $("done-heading").textContent = t("moved_heading");
      $("done-text").textContent = booking.state === "confirmed" ? t("moved_text") : t("moved_held_text");
    }
    $("done-when").textContent = whenText(booking.start);
    $("done-reference").textContent = booking.reference;
    $("done-heading").focus();
    announce($("done-heading").textContent);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;
    var problems = check();
    summary(problems);
    if (problems.length) return;
    sending = true;
    $("submit").setAttribute("aria-disabled", "true");
    var sent;
    if (config.mode === "move") {
      sent = request("/api/bookings/move", { token: config.token, start: chosen.start });
    } else {
      var body = {
        services: services(), start: chosen.start, email: $("email").value.trim(), language: config.lang,
        consent: $("consent").checked, request_key: requestKey
      };
      if ($("name").value.trim()) body.name = $("name").value.trim();
      if ($("phone").value.trim()) body.phone = $("phone").value.trim();
      if (!botcheckPayload()) announce(t("botcheck_wait"));
      sent = waitForBotcheck(60000).then(function (payload) {
        body.altcha = payload || "";
        return request("/api/offices/" + encodeURIComponent(config.office_id) + "/bookings", body);
      });
    }
    sent.then(function (data) {
      sending = false;
      $("submit").removeAttribute("aria-disabled");
      if (data.ok) { done(data); return; }
      if (config.mode === "book" && data.error !== "network") renewBotcheck();
      serverError(data);
    });
  });

  post("ready");
  loadDays();
})(window.VO);
