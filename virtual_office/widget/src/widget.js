/*! virtual-office widget, AGPL-3.0-or-later */
/*
 * Live office status for a city web page, from one <script> tag.
 *
 * Renders into a Shadow DOM next to its own script tag (or into
 * data-container), talks socket.io to the server the script came from, and
 * opens the waiting room of the office server in a dialog (iframe) or a new
 * tab. Defines one global, window.VirtualOffice. Never throws into the page.
 *
 * In the bundle, VO_IO (the socket.io client) and VO_CSS (the stylesheet)
 * are provided by the surrounding closure, see bundle.py.
 */
(function () {
  "use strict";

  var PREFIX = "[virtual-office]";
  var MSG_SOURCE = "virtual-office";
  var READY_TIMEOUT_MS = 6000;
  var LEAVE_TIMEOUT_MS = 1500;
  var ANNOUNCE_DELAY_MS = 1500;
  var UNAVAILABLE_AFTER_FAILURES = 2;
  var POLL_MS = 45000;

  function warn() {
    try {
      var args = Array.prototype.slice.call(arguments);
      console.warn.apply(console, [PREFIX].concat(args));
    } catch (e) { /* console may be missing or replaced */ }
  }

  /* Wrap a function so that nothing it throws reaches the host page. */
  function guard(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (err) {
        warn("unexpected error", err);
      }
    };
  }

  var I18N = {
    de: {
      region: "Live-Status der Ämter",
      loading: "Status wird geladen …",
      unavailable: "Der Live-Status ist gerade nicht verfügbar.",
      reconnecting: "Verbindung unterbrochen – wird wiederhergestellt …",
      restored: "Verbindung wiederhergestellt.",
      no_offices: "Zurzeit sind keine Ämter verfügbar.",
      hours_today: "Heute: {hours}",
      closed_today: "Heute geschlossen",
      hours_sep: ", ",
      time: "{time} Uhr",
      status_open: "Geöffnet",
      status_busy: "Besetzt",
      status_paused: "Kurz pausiert",
      status_closed: "Geschlossen",
      hint_busy: "alle Mitarbeitenden im Gespräch",
      opens_today: "öffnet um {time} Uhr",
      opens_tomorrow: "öffnet morgen um {time} Uhr",
      opens_on: "öffnet am {day} um {time} Uhr",
      waiting: { zero: "Niemand wartet", one: "1 Person wartet", other: "{n} Personen warten" },
      estimate_range: "Wartezeit etwa {min}–{max} Min.",
      estimate_one: "Wartezeit etwa {min} Min.",
      estimate_none: "Keine Wartezeit",
      estimate_unknown: "Wartezeit noch nicht bekannt",
      join: "Warteraum betreten",
      new_tab: "(öffnet in neuem Tab)",
      reason_closed: "Der Warteraum öffnet mit dem Amt.",
      unstaffed: "gerade ist niemand im Dienst",
      reason_unstaffed: "Der Warteraum öffnet, sobald jemand im Dienst ist.",
      reason_full: "Der Warteraum ist gerade voll. Bitte versuchen Sie es später.",
      dialog_title: "Warteraum: {office}",
      frame_title: "Virtueller Warteraum: {office}",
      close: "Warteraum schließen",
      frame_loading: "Warteraum wird geladen …",
      fallback: "Der Warteraum kann auf dieser Seite nicht angezeigt werden.",
      open_tab: "Warteraum in neuem Tab öffnen",
      confirm_leave: "Warteraum wirklich verlassen? Ihr Platz in der Warteschlange geht verloren.",
      confirm_yes: "Verlassen",
      confirm_no: "Weiter warten",
      dialog_title_visit: "Video-Gespräch: {office}",
      confirm_leave_visit: "Gespräch wirklich verlassen? Ihre Wartenummer verfällt dann.",
      confirm_no_visit: "Im Gespräch bleiben",
      not_allowed: "Diese Website ist für das virtuelle Bürgerbüro noch nicht freigegeben. " +
        "Die Verwaltung kann sie unter {where} freigeben.",
      preview: "Vorschau: Hier öffnet sich kein Warteraum.",
      book: "Termin buchen",
      dialog_title_book: "Termin buchen: {office}",
      frame_title_book: "Termin buchen: {office}",
      open_tab_book: "Terminbuchung in neuem Tab öffnen"
    },
    en: {
      region: "Live office status",
      loading: "Loading office status …",
      unavailable: "Live office status is not available right now.",
      reconnecting: "Connection lost – reconnecting …",
      restored: "Connection restored.",
      no_offices: "No offices are available right now.",
      hours_today: "Today: {hours}",
      closed_today: "Closed today",
      hours_sep: ", ",
      time: "{time}",
      status_open: "Open",
      status_busy: "Busy",
      status_paused: "Briefly paused",
      status_closed: "Closed",
      hint_busy: "all clerks are with someone",
      opens_today: "opens at {time}",
      opens_tomorrow: "opens tomorrow at {time}",
      opens_on: "opens on {day} at {time}",
      waiting: { zero: "Nobody waiting", one: "1 person waiting", other: "{n} people waiting" },
      estimate_range: "Estimated wait about {min}–{max} min",
      estimate_one: "Estimated wait about {min} min",
      estimate_none: "No waiting time",
      estimate_unknown: "Wait time not known yet",
      join: "Enter waiting room",
      new_tab: "(opens in a new tab)",
      reason_closed: "The waiting room opens when the office opens.",
      unstaffed: "nobody is on duty right now",
      reason_unstaffed: "The waiting room opens as soon as someone is on duty.",
      reason_full: "The waiting room is full right now. Please try again later.",
      dialog_title: "Waiting room: {office}",
      frame_title: "Virtual waiting room: {office}",
      close: "Close waiting room",
      frame_loading: "Loading the waiting room …",
      fallback: "The waiting room can't be shown on this page.",
      open_tab: "Open the waiting room in a new tab",
      confirm_leave: "Leave the waiting room? You will lose your place in the queue.",
      confirm_yes: "Leave",
      confirm_no: "Keep waiting",
      dialog_title_visit: "Video call: {office}",
      confirm_leave_visit: "Leave the conversation? Your queue number will then expire.",
      confirm_no_visit: "Stay in the conversation",
      not_allowed: "This website is not yet allowed to show the virtual citizen office. " +
        "The administration can allow it at {where}.",
      preview: "Preview: no waiting room opens here.",
      book: "Book an appointment",
      dialog_title_book: "Book an appointment: {office}",
      frame_title_book: "Book an appointment: {office}",
      open_tab_book: "Open the booking in a new tab"
    }
  };

  /* The form of a plural text ({zero?, one?, other}) for n: the rule German and English share
   * (CLDR: "one" for exactly 1, "other" for the rest; "zero", where given, for exactly 0),
   * the same as the office server's pages (virtual_office/server/static/shared.js). */
  function plural(forms, n) {
    var isNumber = typeof n === "number";
    if (isNumber && n === 0 && forms.zero !== undefined) return forms.zero;
    var form = isNumber && n === 1 ? forms.one : forms.other;
    return form !== undefined ? form : forms.other;
  }

  /* t(key, vars): the text for key in the widget's language; a plural text in the form for vars.n. */
  function translator(lang) {
    var dict = I18N[lang] || I18N.de;
    return function (key, vars) {
      var text = dict[key] !== undefined ? dict[key] : key;
      if (typeof text === "object") text = plural(text, vars && vars.n);
      if (vars) {
        text = text.replace(/\{(\w+)\}/g, function (m, name) {
          return vars[name] !== undefined ? String(vars[name]) : m;
        });
      }
      return text;
    };
  }

  /* ---------- configuration from the script tag ---------- */

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      var src = scripts[i].getAttribute("src") || "";
      if (/\/widget\.js(\?.*)?$/.test(src) && !scripts[i].__virtualOffice) return scripts[i];
    }
    return null;
  }

  function pageLang() {
    var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    if (!lang) return "de";
    return lang.indexOf("de") === 0 ? "de" : "en";
  }

  function readConfig(script) {
    var data = script.dataset || {};
    var offices = null;
    if (data.offices) {
      offices = data.offices.split(",").map(function (s) { return s.trim(); })
        .filter(function (s) { return /^[A-Za-z0-9_-]{1,64}$/.test(s); });
      if (!offices.length) offices = null;
    }
    var lang = (data.lang || "").toLowerCase();
    if (lang !== "de" && lang !== "en") lang = pageLang();
    var level = parseInt(data.headingLevel || "3", 10);
    return {
      origin: new URL(script.src, document.baseURI).origin,
      offices: offices,
      // data-tenant: the municipality whose offices are shown; none: the deployment's default tenant
      tenant: /^[a-z0-9][a-z0-9-]{0,39}$/.test(data.tenant || "") ? data.tenant : null,
      lang: lang,
      container: data.container || null,
      layout: data.layout === "compact" ? "compact" : "list",
      open: data.open === "tab" ? "tab" : "dialog",
      headingLevel: level >= 2 && level <= 6 ? level : 3,
      // data-preview (the administration's embed preview): status only, no waiting room, no ticket
      preview: data.preview !== undefined
    };
  }

  /* ---------- formatting ---------- */

  var ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

  /* Office-local wall clock of an ISO time, plus its offset in minutes. */
  function parseLocal(iso) {
    var m = ISO_RE.exec(iso || "");
    if (!m) return null;
    var offset = 0;
    if (m[6] && m[6] !== "Z") {
      var sign = m[6][0] === "-" ? -1 : 1;
      var digits = m[6].replace(":", "");
      offset = sign * (parseInt(digits.substr(1, 2), 10) * 60 + parseInt(digits.substr(3, 2), 10));
    }
    return {
      day: Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000,
      time: m[4] + ":" + m[5],
      offset: offset
    };
  }

  function opensText(office, t, lang) {
    var opens = parseLocal(office.opens_at);
    if (!opens) return "";
    // "today" in the office's time zone, by the server's clock when it sent the payload
    var now = typeof office.at === "number" ? office.at : Date.now();
    var today = Math.floor((now + opens.offset * 60000) / 86400000);
    var days = opens.day - today;
    if (days <= 0) return t("opens_today", { time: opens.time });
    if (days === 1) return t("opens_tomorrow", { time: opens.time });
    var date = new Date(opens.day * 86400000);
    var fmt = days < 7 ? { weekday: "long", timeZone: "UTC" }
      : { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" };
    var day;
    try {
      day = new Intl.DateTimeFormat(lang, fmt).format(date);
    } catch (e) {
      day = date.toISOString().slice(0, 10);
    }
    return t("opens_on", { day: day, time: opens.time });
  }

  function hoursText(office, t) {
    var hours = Array.isArray(office.hours_today) ? office.hours_today : [];
    if (!hours.length) return t("closed_today");
    return t("hours_today", {
      hours: hours.map(function (h) { return h[0] + "–" + h[1]; }).join(t("hours_sep"))
    });
  }

  function waitingText(n, t) {
    return t("waiting", { n: Math.max(0, parseInt(n, 10) || 0) });
  }

  function estimateText(estimate, t) {
    if (!estimate || typeof estimate.min !== "number" || typeof estimate.max !== "number") {
      return t("estimate_unknown");
    }
    if (estimate.max <= 0) return t("estimate_none");
    if (estimate.min === estimate.max) return t("estimate_one", { min: estimate.min });
    return t("estimate_range", { min: estimate.min, max: estimate.max });
  }

  function statusKey(office) {
    var s = office.status;
    return s === "open" || s === "busy" || s === "paused" ? s : "closed";
  }

  // Closed within opening hours (the server sends when they end) means nobody is on duty.
  function unstaffed(office) {
    return statusKey(office) === "closed" && !office.opens_at && !!office.closes_at;
  }

  function statusDetail(office, t, lang) {
    var s = statusKey(office);
    if (s === "closed") return unstaffed(office) ? t("unstaffed") : opensText(office, t, lang);
    if (s === "busy") return t("hint_busy");
    return "";
  }

  /* ---------- DOM helpers ---------- */

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  var uid = 0;
  function nextId(prefix) {
    uid += 1;
    return "vo-" + prefix + "-" + uid;
  }

  /* ---------- one widget instance ---------- */

  function Widget(script, config) {
    this.script = script;
    this.config = config;
    this.t = translator(config.lang);
    this.offices = {};   // id -> {data, row}
    this.order = [];
    this.state = "loading";
    this.failures = 0;
    this.socket = null;
    this.pending = [];
    this.announceTimer = null;
    this.lostAnnounced = false;
    this.room = null;     // the open waiting room dialog, if any
    this.mount();
  }

  Widget.prototype.mount = function () {
    var cfg = this.config;
    var host = el("virtual-office", { "data-state": "loading" });
    this.host = host;
    this.place();
    this.root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = typeof VO_CSS !== "undefined" ? VO_CSS : "";
    this.root.appendChild(style);

    var t = this.t;
    this.frame = el("section", {
      "class": "vo vo-" + cfg.layout,
      "aria-label": t("region"),
      lang: cfg.lang
    });
    this.notice = el("p", { "class": "notice", role: "status" });
    this.list = el("ul", { "class": "offices", role: "list" });
    this.live = el("div", { "class": "sr-only", "aria-live": "polite", "aria-atomic": "false" });
    this.frame.appendChild(this.notice);
    this.frame.appendChild(this.list);
    this.frame.appendChild(this.live);
    this.root.appendChild(this.frame);
    this.setState("loading");
    performance.mark && performance.mark("virtual-office:mounted");
    this.connect();
  };

  /* Put the host element after the script tag, or into data-container. */
  Widget.prototype.place = function () {
    var self = this;
    var cfg = this.config;
    var script = this.script;
    if (cfg.container) {
      var target = null;
      try { target = document.querySelector(cfg.container); } catch (e) { warn("bad data-container selector", cfg.container); }
      if (target) {
        target.appendChild(this.host);
        return;
      }
      if (document.readyState === "loading") {
        // an async script may run before the container is parsed
        document.addEventListener("DOMContentLoaded", guard(function () {
          var later = null;
          try { later = document.querySelector(cfg.container); } catch (e) { /* warned above */ }
          if (later) later.appendChild(self.host);
          else warn("data-container not found:", cfg.container);
        }));
        return;
      }
      warn("data-container not found:", cfg.container);
    }
    var parent = script.parentNode;
    if (parent && parent !== document.head && document.body && document.body.contains(script)) {
      parent.insertBefore(this.host, script.nextSibling);
    } else if (document.body) {
      document.body.appendChild(this.host);
    } else {
      document.addEventListener("DOMContentLoaded", guard(function () {
        document.body.appendChild(self.host);
      }));
    }
  };

  Widget.prototype.setState = function (state) {
    var t = this.t;
    this.state = state;
    this.host.setAttribute("data-state", state);
    this.frame.setAttribute("data-state", state);
    var text = "";
    if (state === "loading") text = t("loading");
    else if (state === "unavailable") text = t("unavailable");
    else if (state === "reconnecting") text = t("reconnecting");
    else if (state === "live" && !this.order.length) text = t("no_offices");
    else if (state === "refused" && this.notAllowed) text = t("not_allowed", { where: this.config.origin + "/admin/origins" });
    setText(this.notice, text);
    this.notice.hidden = !text;
    // A page whose origin is not allowed gets no office status, only the line for its webmaster.
    this.host.style.setProperty("display", state === "refused" && !text ? "none" : "block", "important");
  };

  Widget.prototype.connect = function () {
    var self = this;
    var io = typeof VO_IO !== "undefined" ? VO_IO : window.io;
    if (typeof io !== "function") {
      warn("socket.io client missing");
      this.setState("unavailable");
      return;
    }
    var auth = { lang: this.config.lang };
    if (this.config.offices) auth.offices = this.config.offices;
    if (this.config.tenant) auth.tenant = this.config.tenant;
    var socket = io(this.config.origin + "/public", {
      auth: auth,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      forceNew: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30000,
      randomizationFactor: 0.5,
      timeout: 10000
    });
    this.socket = socket;

    socket.on("connect", guard(function () {
      self.failures = 0;
      self.stopPolling();
    }));
    socket.on("offices", guard(function (payload) {
      var list = payload && Array.isArray(payload.offices) ? payload.offices : [];
      self.brand(payload && payload.tenant);
      self.replaceAll(list);
      if (self.lostAnnounced) {
        self.announce(self.t("restored"));
        self.lostAnnounced = false;
      }
      self.setState("live");
      self.firstShown();
    }));
    socket.on("office_status", guard(function (office) {
      if (office && typeof office.id === "string") self.update(office, true);
    }));
    socket.on("connect_error", guard(function (err) {
      var code = (err && err.data && err.data.error) || (err && err.message) || "";
      if (socket.active) {
        // a transport error: the client retries by itself, with backoff
        self.failures += 1;
        self.lost();
        return;
      }
      // Refused by the server: on /public that means this page's origin is not
      // allowed; such a page gets no office status, only a short line saying so.
      self.order = [];
      self.list.textContent = "";
      self.offices = {};
      self.notAllowed = /origin_not_allowed/.test(String(code));
      self.setState("refused");
      if (self.notAllowed) {
        warn("this page's origin is not allowed to show the office status; " +
          "ask the administrator to add it to the allowed websites");
      } else {
        warn("the office server refused the connection:", String(code));
        setTimeout(guard(function () { socket.connect(); }), 60000 + Math.random() * 60000);
      }
    }));
    socket.on("disconnect", guard(function (reason) {
      if (reason === "io client disconnect") return;
      if (reason === "io server disconnect") {
        // the server dropped us on purpose (e.g. a restart): come back after a pause
        setTimeout(guard(function () { socket.connect(); }), 2000 + Math.random() * 3000);
      }
      self.lost();
    }));
  };

  Widget.prototype.lost = function () {
    if (this.state === "refused") return;
    if (this.failures >= UNAVAILABLE_AFTER_FAILURES) this.poll();
    if (this.pollTimer && this.state === "live") return; // shown from the status route meanwhile
    if (this.order.length) {
      if (this.state !== "reconnecting") {
        this.setState("reconnecting");
        var self = this;
        // say it only if it lasts; a blip is not worth an announcement
        setTimeout(guard(function () {
          if (self.state === "reconnecting" && !self.lostAnnounced) {
            self.lostAnnounced = true;
            self.announce(self.t("reconnecting"));
          }
        }), 5000);
      }
    } else if (this.failures >= UNAVAILABLE_AFTER_FAILURES) {
      this.setState("unavailable");
    }
  };

  // While no live connection can be made (the server refuses one more from this network, which
  // holds many, or the network lets none through), the status comes from the JSON route: at
  // once, then every 45 s; the live connection keeps being retried and ends this when it is back.
  Widget.prototype.poll = function () {
    if (this.pollTimer || typeof fetch !== "function") return;
    var self = this;
    var url = this.config.origin + "/api/offices?lang=" + encodeURIComponent(this.config.lang) +
      (this.config.tenant ? "&tenant=" + encodeURIComponent(this.config.tenant) : "");
    var once = guard(function () {
      fetch(url, { credentials: "omit" }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(guard(function (payload) {
        if (!self.pollTimer || !payload || !Array.isArray(payload.offices) || self.state === "refused") return;
        self.brand(payload.tenant);
        self.replaceAll(payload.offices);
        self.setState("live");
        self.firstShown();
      }), function () { /* still unreachable: the next round tries again */ });
    });
    this.pollTimer = setInterval(once, POLL_MS);
    once();
  };

  // The tenant's colour on the buttons (sent only by a tenant that has one): a style of the
  // widget's own shadow root, so the city's page is untouched.
  Widget.prototype.brand = function (tenant) {
    this.showLogo(tenant);
    var colour = tenant && typeof tenant.colour === "string" && /^#[0-9a-fA-F]{6}$/.test(tenant.colour) ? tenant.colour : null;
    if (!colour || this.branded === colour) return;
    this.branded = colour;
    var style = document.createElement("style");
    style.textContent = ".join, .confirm-yes { background: " + colour + "; border-color: " + colour + "; }" +
      ".join:hover, .confirm-yes:hover { filter: brightness(.85); } .confirm-no { color: " + colour + "; border-color: " + colour + "; }";
    this.root.appendChild(style);
  };

  // The tenant's logo above the offices, inside the shadow root, named by the tenant's name for
  // screen readers. A logo that does not load is removed: the offices stay, the page is untouched.
  Widget.prototype.showLogo = function (tenant) {
    var src = tenant && typeof tenant.logo === "string" && /^https?:\/\/[^\s]+$/.test(tenant.logo) ? tenant.logo : null;
    if (!src || this.logoShown === src) return;
    this.logoShown = src;
    if (this.logo) this.logo.remove();
    var logo = el("img", { "class": "tenant-logo", alt: typeof tenant.name === "string" ? tenant.name : "", referrerpolicy: "no-referrer" });
    var self = this;
    logo.addEventListener("error", guard(function () {
      logo.remove();
      if (self.logo === logo) self.logo = null;
    }));
    logo.src = src;
    this.logo = logo;
    this.frame.insertBefore(logo, this.frame.firstChild);
  };

  Widget.prototype.stopPolling = function () {
    if (!this.pollTimer) return;
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  };

  Widget.prototype.firstShown = function () {
    if (this.shown) return;
    this.shown = true;
    if (performance.mark) performance.mark("virtual-office:status-shown");
    this.host.setAttribute("data-ready", "");
  };

  Widget.prototype.replaceAll = function (list) {
    var self = this;
    var seen = {};
    var order = [];
    list.forEach(function (office) {
      if (!office || typeof office.id !== "string" || seen[office.id]) return;
      if (self.config.offices && self.config.offices.indexOf(office.id) < 0) return;
      seen[office.id] = true;
      order.push(office.id);
      self.update(office, false);
    });
    Object.keys(this.offices).forEach(function (id) {
      if (!seen[id]) {
        self.list.removeChild(self.offices[id].row);
        delete self.offices[id];
      }
    });
    this.order = order;
    order.forEach(function (id) { self.list.appendChild(self.offices[id].row); });
  };

  Widget.prototype.update = function (office, live) {
    if (this.config.offices && this.config.offices.indexOf(office.id) < 0) return;
    var entry = this.offices[office.id];
    if (!entry) {
      entry = this.offices[office.id] = { row: this.renderRow(office), data: null };
      if (live) {
        this.order.push(office.id);
        this.list.appendChild(entry.row);
        if (this.state === "live") this.setState("live");
      }
    }
    var before = entry.data;
    entry.data = office;
    this.fill(entry, office);
    if (live && before && (statusKey(before) !== statusKey(office) || !!before.can_join !== !!office.can_join)) {
      var detail = statusDetail(office, this.t, this.config.lang);
      this.announce(office.name + ": " + this.t("status_" + statusKey(office)) + (detail ? ", " + detail : ""));
    }
  };

  Widget.prototype.renderRow = function (office) {
    var t = this.t;
    var ids = { name: nextId("name"), reason: nextId("reason") };
    var parts = {};
    parts.name = el("h" + this.config.headingLevel, { "class": "name", id: ids.name });
    parts.description = el("p", { "class": "description" });
    parts.badge = el("span", { "class": "badge" });
    parts.icon = el("span", { "class": "icon", "aria-hidden": "true" });
    parts.statusLabel = el("span", { "class": "status-label" });
    parts.badge.appendChild(parts.icon);
    parts.badge.appendChild(parts.statusLabel);
    parts.detail = el("span", { "class": "status-detail" });
    parts.hours = el("p", { "class": "hours" });
    parts.waiting = el("span", { "class": "waiting" });
    parts.estimateText = el("span");
    parts.estimate = el("span", { "class": "estimate" }, [" ", el("span", { "aria-hidden": "true" }, ["·"]), " ", parts.estimateText]);
    parts.joinName = el("span", { "class": "sr-only" });
    parts.joinNewTab = el("span", { "class": "sr-only" }, this.config.open === "tab" ? [" " + t("new_tab")] : []);
    parts.join = el("button", { type: "button", "class": "join" }, [t("join"), parts.joinName, parts.joinNewTab]);
    parts.reason = el("p", { "class": "reason", id: ids.reason });
    // Offices that take appointments (mode "also" or "only") offer a booking beside the waiting room.
    parts.bookName = el("span", { "class": "sr-only" });
    parts.book = el("button", { type: "button", "class": "book", hidden: "" },
      [t("book"), parts.bookName, el("span", { "class": "sr-only" }, this.config.open === "tab" ? [" " + t("new_tab")] : [])]);
    var row = el("li", { "class": "office", "aria-labelledby": ids.name }, [
      el("div", { "class": "head" }, [parts.name, el("p", { "class": "status" }, [parts.badge, parts.detail])]),
      parts.description,
      parts.hours,
      el("p", { "class": "queue" }, [parts.waiting, parts.estimate]),
      el("div", { "class": "actions" }, [parts.join, parts.book, parts.reason])
    ]);
    var self = this;
    parts.join.addEventListener("click", guard(function () {
      var entry = self.offices[office.id];
      if (!entry || !entry.data || !entry.data.can_join || self.config.preview) return;
      self.openRoom(entry.data, parts.join);
    }));
    parts.book.addEventListener("click", guard(function () {
      var entry = self.offices[office.id];
      if (!entry || !entry.data || self.config.preview) return;
      self.openRoom(entry.data, parts.book, "book");
    }));
    parts.ids = ids;
    row.__parts = parts;
    return row;
  };

  Widget.prototype.fill = function (entry, office) {
    var t = this.t;
    var p = entry.row.__parts;
    var key = statusKey(office);
    entry.row.setAttribute("data-status", key);
    entry.row.setAttribute("data-office", office.id);
    setText(p.name, String(office.name || office.id));
    setText(p.description, String(office.description || ""));
    p.description.hidden = !office.description;
    setText(p.statusLabel, t("status_" + key));
    var detail = statusDetail(office, t, this.config.lang);
    setText(p.detail, detail ? " – " + detail : "");
    setText(p.hours, hoursText(office, t));
    setText(p.waiting, waitingText(office.waiting, t));
    setText(p.estimateText, estimateText(office.estimate, t));
    // nobody serves a closed office: a wait estimate would mean nothing there
    p.estimate.hidden = key === "closed";
    setText(p.joinName, " – " + String(office.name || office.id));
    setText(p.bookName, " – " + String(office.name || office.id));
    var appointments = office.appointments === "also" || office.appointments === "only";
    p.book.hidden = !appointments;
    // an office that works by appointment only has no waiting room to step into without one
    p.join.hidden = office.appointments === "only";
    if (this.config.preview) p.book.setAttribute("aria-disabled", "true");
    if (this.config.preview) {
      p.join.setAttribute("aria-disabled", "true");
      p.join.setAttribute("aria-describedby", p.ids.reason);
      setText(p.reason, t("preview"));
      p.reason.hidden = false;
    } else if (office.can_join) {
      p.join.removeAttribute("aria-disabled");
      p.join.removeAttribute("aria-describedby");
      setText(p.reason, "");
      p.reason.hidden = true;
    } else {
      // aria-disabled keeps the button focusable so the reason can be read
      p.join.setAttribute("aria-disabled", "true");
      p.join.setAttribute("aria-describedby", p.ids.reason);
      var reason = unstaffed(office) ? "reason_unstaffed" : key === "closed" ? "reason_closed" : "reason_full";
      setText(p.reason, t(reason));
      p.reason.hidden = office.appointments === "only";
    }
  };

  /* Polite, batched announcements of meaningful changes only. */
  Widget.prototype.announce = function (text) {
    var self = this;
    this.pending.push(text);
    if (this.announceTimer) return;
    this.announceTimer = setTimeout(guard(function () {
      self.announceTimer = null;
      var msg = self.pending.join(". ");
      self.pending = [];
      self.live.textContent = "";
      self.live.appendChild(el("p", null, [msg]));
    }), ANNOUNCE_DELAY_MS);
  };

  Widget.prototype.roomUrl = function (office, kind) {
    return this.config.origin + (kind === "book" ? "/b/" : "/w/") + encodeURIComponent(office.id) +
      "?lang=" + encodeURIComponent(this.config.lang) + "&embed=1";
  };

  Widget.prototype.openRoom = function (office, opener, kind) {
    if (this.config.preview) return;
    var url = this.roomUrl(office, kind);
    if (this.config.open === "tab" || typeof HTMLDialogElement === "undefined") {
      window.open(url.replace("&embed=1", ""), "_blank", "noopener");
      return;
    }
    if (this.room) this.room.destroy();
    this.room = new Room(this, office, url, opener, kind);
  };

  Widget.prototype.destroy = function () {
    if (this.room) this.room.destroy();
    if (this.socket) this.socket.disconnect();
    if (this.announceTimer) clearTimeout(this.announceTimer);
    if (this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  /* ---------- the waiting room dialog ---------- */

  /* The waiting room, or (kind "book") the booking, in a dialog. */
  function Room(widget, office, url, opener, kind) {
    var t = widget.t;
    var self = this;
    this.widget = widget;
    this.origin = widget.config.origin;
    this.opener = opener;
    this.ready = false;
    this.inQueue = false;
    this.closing = false;
    var titleId = nextId("dialog-title");
    var name = this.officeName = String(office.name || office.id);
    this.tabUrl = url.replace("&embed=1", "");

    var book = kind === "book";
    this.title = el("h2", { id: titleId, "class": "dialog-title" }, [t(book ? "dialog_title_book" : "dialog_title", { office: name })]);
    this.closeButton = el("button", { type: "button", "class": "close" }, [
      el("span", { "aria-hidden": "true" }, ["×"]), el("span", { "class": "sr-only" }, [t("close")])
    ]);
    this.status = el("p", { "class": "frame-status", role: "status" }, [t("frame_loading")]);
    this.iframe = el("iframe", {
      src: url,
      title: t(book ? "frame_title_book" : "frame_title", { office: name }),
      allow: "camera; microphone; display-capture; autoplay",
      referrerpolicy: "origin"
    });
    this.link = el("a", { href: this.tabUrl, target: "_blank", rel: "noopener", "class": "open-tab" }, [t(book ? "open_tab_book" : "open_tab")]);
    this.fallback = el("div", { "class": "fallback", hidden: "" }, [el("p", null, [t("fallback")]), this.link]);
    this.confirmYes = el("button", { type: "button", "class": "confirm-yes" }, [t("confirm_yes")]);
    this.confirmNo = el("button", { type: "button", "class": "confirm-no" }, [t("confirm_no")]);
    this.confirm = el("div", { "class": "confirm", role: "alertdialog", "aria-label": t("confirm_leave"), hidden: "" }, [
      el("p", null, [t("confirm_leave")]), el("div", { "class": "confirm-actions" }, [this.confirmNo, this.confirmYes])
    ]);
    this.dialog = el("dialog", { "class": "room", "aria-labelledby": titleId, "aria-modal": "true" }, [
      el("div", { "class": "room-head" }, [this.title, this.closeButton]),
      this.status, this.fallback, this.confirm, this.iframe
    ]);
    widget.root.appendChild(this.dialog);

    this.onMessage = guard(function (event) { self.message(event); });
    this.onViolation = guard(function (event) {
      if (String(event.blockedURI || "").indexOf(self.origin) === 0) self.showFallback();
    });
    window.addEventListener("message", this.onMessage);
    document.addEventListener("securitypolicyviolation", this.onViolation);
    this.closeButton.addEventListener("click", guard(function () { self.requestClose(); }));
    this.confirmNo.addEventListener("click", guard(function () { self.hideConfirm(); }));
    this.confirmYes.addEventListener("click", guard(function () { self.leave(); }));
    this.link.addEventListener("click", guard(function () { self.close(); }));
    this.dialog.addEventListener("cancel", guard(function (event) {
      // Escape: ask first when the citizen holds a place in the queue
      event.preventDefault();
      if (!self.confirm.hidden) self.hideConfirm();
      else self.requestClose();
    }));
    this.dialog.addEventListener("close", guard(function () { self.destroy(); }));
    this.timer = setTimeout(guard(function () {
      if (!self.ready) self.showFallback();
    }), READY_TIMEOUT_MS);
    this.dialog.showModal();
    this.closeButton.focus();
  }

  Room.prototype.post = function (type, extra) {
    var msg = { source: MSG_SOURCE, type: type };
    if (extra) Object.keys(extra).forEach(function (k) { msg[k] = extra[k]; });
    try {
      if (this.iframe.contentWindow) this.iframe.contentWindow.postMessage(msg, this.origin);
    } catch (e) { warn("postMessage failed", e); }
  };

  Room.prototype.message = function (event) {
    if (event.origin !== this.origin || event.source !== this.iframe.contentWindow) return;
    var data = event.data;
    if (!data || data.source !== MSG_SOURCE || typeof data.type !== "string") return;
    if (data.type === "ready") {
      this.ready = true;
      clearTimeout(this.timer);
      this.status.hidden = true;
      this.fallback.hidden = true;
      this.iframe.hidden = false;
      this.post("hello", { lang: this.widget.config.lang });
    } else if (data.type === "state") {
      this.inQueue = !!data.in_queue;
      if (data.phase === "visit") this.showVisit();
    } else if (data.type === "escape") {
      if (!this.confirm.hidden) this.hideConfirm();
      else this.requestClose();
    } else if (data.type === "close") {
      this.inQueue = false;
      this.close();
    } else if (data.type === "left" && this.closing) {
      this.close();
    }
  };

  /* The waiting room became the video visit: the dialog's title and its question say so. */
  Room.prototype.showVisit = function () {
    var t = this.widget.t;
    if (this.inVisit) return;
    this.inVisit = true;
    this.title.textContent = t("dialog_title_visit", { office: this.officeName });
    this.confirm.setAttribute("aria-label", t("confirm_leave_visit"));
    this.confirm.firstChild.textContent = t("confirm_leave_visit");
    this.confirmNo.textContent = t("confirm_no_visit");
  };

  Room.prototype.showFallback = function () {
    if (this.ready) return;
    this.status.hidden = true;
    this.iframe.hidden = true;
    this.fallback.hidden = false;
    this.link.focus();
  };

  Room.prototype.requestClose = function () {
    if (this.inQueue) {
      this.confirm.hidden = false;
      this.confirmNo.focus();
    } else {
      this.close();
    }
  };

  Room.prototype.hideConfirm = function () {
    this.confirm.hidden = true;
    this.closeButton.focus();
  };

  /* Tell the waiting room the citizen leaves; close when it confirms (or soon anyway). */
  Room.prototype.leave = function () {
    var self = this;
    this.closing = true;
    this.post("leave");
    this.confirmYes.setAttribute("aria-disabled", "true");
    setTimeout(guard(function () { self.close(); }), LEAVE_TIMEOUT_MS);
  };

  Room.prototype.close = function () {
    if (this.dialog.open) this.dialog.close();
    else this.destroy();
  };

  Room.prototype.destroy = function () {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.timer);
    window.removeEventListener("message", this.onMessage);
    document.removeEventListener("securitypolicyviolation", this.onViolation);
    if (this.dialog.open) this.dialog.close();
    if (this.dialog.parentNode) this.dialog.parentNode.removeChild(this.dialog);
    if (this.widget.room === this) this.widget.room = null;
    try { this.opener.focus(); } catch (e) { /* opener gone */ }
  };

  /* ---------- the one global ---------- */

  function mount(script, overrides) {
    if (!script || script.__virtualOffice) return null;
    script.__virtualOffice = true;
    var config = readConfig(script);
    if (overrides) Object.keys(overrides).forEach(function (k) { config[k] = overrides[k]; });
    var widget = new Widget(script, config);
    api.widgets.push(widget);
    return widget;
  }

  var api;
  try {
    if (performance.mark) performance.mark("virtual-office:script");
    var script = findScript();
    if (window.VirtualOffice && typeof window.VirtualOffice.mount === "function") {
      // loaded twice (two snippets): reuse the first copy for this tag
      if (script) window.VirtualOffice.mount(script);
      return;
    }
    api = {
      version: "__VO_VERSION__",
      widgets: [],
      mount: guard(function (scriptEl, overrides) { return mount(scriptEl, overrides); }),
      destroy: guard(function () {
        api.widgets.forEach(function (w) { w.destroy(); });
        api.widgets = [];
      })
    };
    Object.defineProperty(window, "VirtualOffice", { value: api, configurable: true, writable: false });
    if (!script) warn("cannot find my own <script> tag");
    else mount(script);
  } catch (err) {
    warn("failed to start", err);
  }
})();
