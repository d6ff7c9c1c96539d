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

  /* t(key, values): the translated string for key from strings (the key itself if there is none). */
  VO.translator = function (strings) {
    return function (key, values) { return VO.format(strings[key] || key, values); };
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
