/* Administration forms: add and remove opening-hour ranges and closed days, copy the snippet.
 * Without this script the forms still work: an empty row a day is always there. */
(function () {
  "use strict";
  var counter = 1000;

  function wireList(list, itemClass, removeClass, addButton) {
    function renumber(item) {
      counter += 1;
      item.querySelectorAll("input").forEach(function (input) {
        var label = item.querySelector("label[for='" + input.id + "']");
        var id = input.id.replace(/-\d+(-start|-end)?$/, "-" + counter + "$1");
        if (label) label.htmlFor = id;
        input.id = id;
        input.value = "";
        input.removeAttribute("aria-invalid");
      });
    }
    function wireRemove(item) {
      var button = item.querySelector("." + removeClass);
      button.hidden = false;
      button.addEventListener("click", function () {
        var items = list.querySelectorAll("." + itemClass);
        if (items.length > 1) {
          item.remove();
          addButton.focus();
        } else {
          item.querySelectorAll("input").forEach(function (input) { input.value = ""; });
          item.querySelector("input").focus();
        }
      });
    }
    // With the buttons at hand, the spare empty row the server adds for script-less browsers is clutter.
    var rows = list.querySelectorAll("." + itemClass);
    var last = rows[rows.length - 1];
    if (rows.length > 1 && Array.prototype.every.call(last.querySelectorAll("input"), function (i) { return !i.value; })) last.remove();
    list.querySelectorAll("." + itemClass).forEach(wireRemove);
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var items = list.querySelectorAll("." + itemClass);
      var copy = items[items.length - 1].cloneNode(true);
      renumber(copy);
      list.appendChild(copy);
      wireRemove(copy);
      copy.querySelector("input").focus();
    });
  }

  document.querySelectorAll("fieldset.day").forEach(function (day) {
    wireList(day.querySelector(".ranges"), "range", "remove-range", day.querySelector(".add-range"));
  });
  document.querySelectorAll("fieldset.closed-days").forEach(function (box) {
    wireList(box.querySelector(".dates"), "date", "remove-date", box.querySelector(".add-date"));
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // Embed page: copy the snippet, and refresh snippet and preview when the choice changes.
  var snippet = document.getElementById("snippet");
  var copy = document.getElementById("copy-snippet");
  if (snippet && copy) {
    var strings = JSON.parse(document.getElementById("embed-strings").textContent);
    var status = document.getElementById("copy-status");
    copy.hidden = false;
    copy.addEventListener("click", function () {
      snippet.select();
      var done = function () { status.textContent = strings.copied; };
      var failed = function () { status.textContent = strings.copy_failed; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(snippet.value).then(done, failed);
      } else {
        try { document.execCommand("copy") ? done() : failed(); } catch (e) { failed(); }
      }
    });
    var form = document.getElementById("embed-form");
    var preview = document.getElementById("embed-preview");
    form.addEventListener("change", function () {
      var ids = Array.prototype.map.call(form.querySelectorAll("input[name=offices]:checked"), function (i) { return i.value; });
      var attr = ids.length ? ' data-offices="' + ids.join(",") + '"' : "";
      snippet.value = snippet.value.replace(/ data-offices="[^"]*"/, "").replace(/(widget\.js")/, "$1" + attr);
      preview.src = "/admin/embed/preview" + (ids.length ? "?offices=" + encodeURIComponent(ids.join(",")) : "");
      history.replaceState(null, "", "/admin/embed" + (ids.length ? "?offices=" + encodeURIComponent(ids.join(",")) : ""));
    });
  }
})();
