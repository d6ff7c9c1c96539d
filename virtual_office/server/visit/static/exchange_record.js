/* The exchange panel's ID check (staff ask, the citizen holds the ID to the camera; no picture
 * is taken), the visit record for staff, and the panel at the end of the visit. */
(function (VO, X) {
  "use strict";

  if (!X) return;
  var $ = VO.$;
  var t = X.t;

  /* ---------- ID check ---------- */

  X.idRequested = function (announce) {
    if (X.staff()) { if (announce) X.say(t("id_requested")); return; }
    $("exchange-id-done").hidden = true;
    $("exchange-id-instruction").hidden = false;
    if (announce) X.notify($("exchange-id-instruction").textContent, $("exchange-id-instruction"));
  };
  X.idChecked = function (checked) {
    if (X.staff()) { $("exchange-id-checked").checked = checked; return; }
    if (checked) $("exchange-id-instruction").hidden = true;
    $("exchange-id-done").hidden = !checked;
  };
  $("exchange-id-ask").addEventListener("click", function () { X.call("id_check_request"); });
  $("exchange-id-checked").addEventListener("change", function (event) { X.call("id_checked", { checked: event.target.checked }); });
  $("exchange-id-enlarge").addEventListener("click", function () {
    // The citizen's camera tile of the visit page (visit/templates/visit.html); no picture is taken.
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

  X.showRecord = function (record) {
    if (!record) return;
    $("exchange-record").value = record.text;
    $("exchange-record-status").textContent = record.final ? t("record_final") : "";
  };
  $("exchange-record-make").addEventListener("click", function () {
    X.call("record", {}, function (answer) { if (answer.ok) X.showRecord(answer.record); });
  });
  $("exchange-record-copy").addEventListener("click", function () {
    var box = $("exchange-record");
    var done = function () { $("exchange-record-status").textContent = t("copied"); };
    var manual = function () { box.focus(); box.select(); $("exchange-record-status").textContent = t("copy_failed"); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(box.value).then(done, manual);
    else manual();
  });

  /* ---------- the end ---------- */

  X.ended = function () {
    var root = X.root;
    X.over = true;
    X.files = {};
    X.clearList("exchange-files");
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
    if (X.staff() && end && !root.contains(end) && $("exchange-record").value) end.appendChild(record);
  };
})(window.VO, window.VO.exchange);
