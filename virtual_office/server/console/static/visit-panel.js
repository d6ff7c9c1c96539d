/* The console's video panel: the current visit's page (/visit/<id>) framed into #visit-media
 * while the clerk has someone called or in a visit, and the invitations of colleagues who add
 * this clerk to their visit. Reads the console's state (window.VirtualOfficeConsole).
 * Once the visit has ended the frame stays until the clerk closes the visit (or calls the next
 * person): the visit page hangs up by itself and keeps the final visit record there to copy. */
(function (VO) {
  "use strict";

  var api = window.VirtualOfficeConsole;
  var box = VO.$("visit-media");
  if (!api || !box) return;
  var config = VO.config("console-config");
  var S = config.strings;
  var fmt = VO.translator(S);
  var current = null;  // the framed visit's ticket id
  var over = false;     // and whether that visit has ended
  var endedAt = 0;

  // At its end the framed visit page moves the focus to its own "ended" heading; in the console
  // the clerk works on from the console (the keyboard shortcuts are there): the focus comes back.
  function reclaimFocus() {
    var frame = box.querySelector("iframe");
    if (!over || !frame || document.activeElement !== frame || Date.now() - endedAt > 5000) return;
    var inside = null;
    try { inside = frame.contentDocument && frame.contentDocument.activeElement; } catch (e) { return; }
    if (!inside || inside.id !== "ended-heading") return;  // the clerk went there: leave it
    var dismiss = VO.$("visit-dismiss");
    if (dismiss && !dismiss.hidden) dismiss.focus();
    else frame.blur();
  }
  window.addEventListener("blur", function () { window.setTimeout(reclaimFocus, 0); });

  function sync() {
    var v = api.state.visit;
    var id = v ? v.ticket.id : null;
    var ended = !!v && v.state === "ended";
    // The same ticket called again after it ended (sent back, say) is a new visit: a new frame.
    if (id === current && !(over && !ended)) {
      if (ended && !over) { over = true; endedAt = Date.now(); reclaimFocus(); }
      return;
    }
    current = id;
    over = ended;
    if (ended) id = null;  // a visit that ended before it was framed: nothing of it to keep
    box.textContent = "";  // removing the frame hangs up (a visit still going on)
    devicesWaiting(false);
    box.classList.toggle("media-placeholder", !id);
    if (!id) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = S["media.none"];
      box.appendChild(none);
      return;
    }
    var frame = document.createElement("iframe");
    frame.src = "/visit/" + encodeURIComponent(id) + "?embed=console&lang=" + encodeURIComponent(config.lang);
    frame.title = S["media.frame"];
    frame.allow = "camera; microphone; display-capture; autoplay; clipboard-write";  // the record's "copy"
    frame.className = "visit-frame";  // its size: staff.css
    box.appendChild(frame);
  }

  var invitations = document.createElement("div");
  invitations.id = "invitations";
  invitations.setAttribute("aria-live", "polite");
  box.parentNode.insertBefore(invitations, box);

  api.socket.on("invited", function (data) {
    if (!data || !data.visit_url) return;
    var note = document.createElement("p");
    note.className = "notice invitation";
    note.dataset.visit = data.visit_id;
    note.textContent = fmt("media.invited", { by: data.by, number: data.number }) + " ";
    var link = document.createElement("a");
    link.href = data.visit_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = S["media.join"];
    note.appendChild(link);
    invitations.insertBefore(note, invitations.firstChild);
    while (invitations.children.length > 3) invitations.removeChild(invitations.lastChild);
  });
  // Let go, or the visit ended: the invitation is void.
  api.socket.on("invitation_over", function (data) {
    var notes = invitations.querySelectorAll(".invitation");
    for (var i = 0; i < notes.length; i++) {
      if (data && notes[i].dataset.visit === data.visit_id) invitations.removeChild(notes[i]);
    }
  });

  // The visit page waits for the window's focus before the clerk's camera and microphone may start
  // (Firefox): the console's title says so too, seen on the taskbar from the window the clerk is in.
  var consoleTitle = document.title;
  function devicesWaiting(waiting) {
    document.title = waiting ? fmt("media.devices_waiting", { title: consoleTitle }) : consoleTitle;
  }
  window.addEventListener("message", function (event) {
    var frame = box.querySelector("iframe");
    var data = event.data;
    if (!frame || event.source !== frame.contentWindow || event.origin !== window.location.origin) return;
    if (data && data.source === "virtual-office" && data.type === "devices_waiting") devicesWaiting(!!data.waiting);
  });

  api.socket.on("visit", function () { window.setTimeout(sync, 0); });
  api.socket.on("queue", function () { window.setTimeout(sync, 0); });
  window.setInterval(sync, 500);  // the console's own actions change its state too
  sync();
})(window.VO);
