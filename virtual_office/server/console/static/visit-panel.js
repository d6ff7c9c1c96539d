/* The console's video panel: the current visit's page (/visit/<id>) framed into #visit-media
 * while the clerk has someone called or in a visit, and the invitations of colleagues who add
 * this clerk to their visit. Reads the console's state (window.VirtualOfficeConsole). */
(function (VO) {
  "use strict";

  var api = window.VirtualOfficeConsole;
  var box = VO.$("visit-media");
  if (!api || !box) return;
  var config = VO.config("console-config");
  var S = config.strings;
  var fmt = VO.translator(S);
  var current = null;

  function sync() {
    var v = api.state.visit;
    var id = v && (v.state === "called" || v.state === "in_visit") ? v.ticket.id : null;
    if (id === current) return;
    current = id;
    box.textContent = "";  // removing the frame hangs up
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
    frame.allow = "camera; microphone; display-capture; autoplay";
    frame.className = "visit-frame";
    frame.style.width = "100%";
    frame.style.height = "38rem";
    frame.style.border = "0";
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

  api.socket.on("visit", function () { window.setTimeout(sync, 0); });
  api.socket.on("queue", function () { window.setTimeout(sync, 0); });
  window.setInterval(sync, 500);  // the console's own actions change its state too
  sync();
})(window.VO);
