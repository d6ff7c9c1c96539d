/* What every page script of ours shares. It comes first in each page's bundle
 * (virtual_office/server/assets.py) and defines the one global they all use, window.VO;
 * a page's own modules add their parts to it (VO.room, VO.visit, ...).
 */
(function () {
  "use strict";

  var VO = window.VO = window.VO || {};

  /* An element by its id. */
  VO.$ = function (id) { return document.getElementById(id); };

  /* The first element matching a CSS selector, in root or the document. */
  VO.find = function (selector, root) { return (root || document).querySelector(selector); };

  /* The page's configuration: the JSON of a <script type="application/json" id="..."> element. */
  VO.config = function (id) { return JSON.parse(document.getElementById(id).textContent); };

  /* "{name}" placeholders filled from values; a placeholder without a value stays as it is. */
  VO.format = function (text, values) {
    if (!values) return text;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) && values[name] !== undefined ? String(values[name]) : whole;
    });
  };

  /* The form of a plural text ({zero?, one?, other}) for n, by the rule German and English share
   * (CLDR: "one" for exactly 1, "other" for the rest; "zero", where given, for exactly 0).
   * The server picks forms with the same rule (virtual_office/server/i18n.py). */
  VO.plural = function (forms, n) {
    var isNumber = typeof n === "number";
    if (isNumber && n === 0 && forms.zero !== undefined) return forms.zero;
    var form = isNumber && n === 1 ? forms.one : forms.other;
    return form !== undefined ? form : forms.other;
  };

  /* t(key, values): the translated string for key from strings (the key itself if there is none);
   * a plural text in the form for values.n. */
  VO.translator = function (strings) {
    return function (key, values) {
      var text = strings[key] || key;
      if (typeof text === "object") text = VO.plural(text, values && values.n);
      return VO.format(text, values);
    };
  };

  /* sessionStorage, which may be switched off: then nothing is kept and nothing fails. */
  VO.stored = function (key) {
    try { return key ? window.sessionStorage.getItem(key) : null; } catch (e) { return null; }
  };
  VO.store = function (key, value) {
    try {
      if (!key) return;
      if (value === null || value === undefined) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) { /* storage off: the value lasts as long as the page */ }
  };
  VO.forget = function (key) { VO.store(key, null); };

  /* A value that belongs to the browser rather than to one tab (a ticket's token): kept in
   * localStorage with a time after which it is dropped, refreshed with VO.keep or VO.touch while
   * a page uses it. Where localStorage is off, this tab's sessionStorage keeps it instead.
   * Stored as JSON {value, until (ms), seconds}; a plain string in sessionStorage (as kept
   * before) is read too. */
  function kept(storage, key) {
    var raw = storage.getItem(key);
    if (!raw) return null;
    var entry;
    try { entry = JSON.parse(raw); } catch (e) { entry = null; }
    if (!entry || typeof entry !== "object") return { value: raw, until: 0, seconds: 0 };  // the older plain form
    if (typeof entry.value !== "string" || !entry.value) return null;
    if (entry.until && entry.until < Date.now()) {
      storage.removeItem(key);
      return null;
    }
    return entry;
  }

  var memory = {};  // what no storage would keep: for as long as the page lasts

  function read(key) {
    var stores = [];
    try { stores.push(window.localStorage); } catch (e) { /* off */ }
    try { stores.push(window.sessionStorage); } catch (e) { /* off */ }
    for (var i = 0; i < stores.length; i++) {
      try {
        var entry = stores[i] && kept(stores[i], key);
        if (entry) return entry;
      } catch (e) { /* this storage is off: the next one */ }
    }
    var inPage = memory[key];
    return inPage && inPage.until >= Date.now() ? inPage : null;
  }

  VO.kept = function (key) {
    var entry = key ? read(key) : null;
    return entry ? entry.value : null;
  };

  /* Keep value under key for seconds from now (null forgets it everywhere). */
  VO.keep = function (key, value, seconds) {
    if (!key) return;
    if (value === null || value === undefined) {
      delete memory[key];
      try { window.localStorage.removeItem(key); } catch (e) { /* off */ }
      try { window.sessionStorage.removeItem(key); } catch (e) { /* off */ }
      return;
    }
    var entry = { value: value, until: Date.now() + seconds * 1000, seconds: seconds };
    var text = JSON.stringify(entry);
    delete memory[key];
    try {
      window.localStorage.setItem(key, text);
      try { window.sessionStorage.removeItem(key); } catch (e) { /* off */ }
    } catch (e) {
      try { window.sessionStorage.setItem(key, text); } catch (e2) { memory[key] = entry; }
    }
  };

  /* Push the time of a kept value on by its own number of seconds (a page still using it). */
  VO.touch = function (key) {
    var entry = key ? read(key) : null;
    if (entry) VO.keep(key, entry.value, entry.seconds || 300);
  };

  /* The key under which the waiting room keeps the origin of the widget's page that framed it. */
  VO.PARENT_KEY = "virtual-office.parent";

  /* say(text) for the live region with this id: emptied first, so that the same text is read again. */
  VO.announcer = function (id) {
    return function (text) {
      var region = document.getElementById(id);
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    };
  };

  /* Resolves once the peer connection has gathered its ICE candidates (or after ms, if given). */
  VO.gathered = function (pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      pc.addEventListener("icegatheringstatechange", function () { if (pc.iceGatheringState === "complete") resolve(); });
      if (ms) window.setTimeout(resolve, ms);
    });
  };
})();
