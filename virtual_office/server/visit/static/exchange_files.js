/* The exchange panel's files: the list, downloads with the citizen's token, and uploads (also
 * of a drawn signature) with their progress. */
(function (VO, X) {
  "use strict";

  if (!X) return;
  var $ = VO.$;
  var t = X.t;

  function fileUrl(id) { return "/visit/" + X.visitId + "/files/" + id; }

  X.addFile = function (f, announce) {
    if (X.files[f.id]) return;
    X.files[f.id] = f;
    var li = document.createElement("li");
    li.className = "exchange-file";
    var link = document.createElement("a");
    link.href = fileUrl(f.id);
    link.textContent = f.name;
    link.setAttribute("download", f.name);
    link.addEventListener("click", function (event) { event.preventDefault(); fetchFile(f); });
    var about = document.createElement("span");
    about.className = "muted";
    about.textContent = " – " + Math.max(1, Math.round(f.size / 1024)) + " KB, " + X.who(f) + ", " + X.clock(f.at);
    li.appendChild(link);
    li.appendChild(about);
    X.append("exchange-files", li);
    if (announce && !(X.me && f.from === X.me.participant)) {
      X.say(t("new_file", { name: X.who(f), file: f.name }));
      X.notify(t("new_file", { name: X.who(f), file: f.name }), link);
    }
  };

  /* A link cannot carry the citizen's token: fetch with it, then save the result. */
  function fetchFile(f) {
    var headers = X.token ? { Authorization: "Bearer " + X.token } : {};
    fetch(fileUrl(f.id) + "?lang=" + X.lang, { headers: headers, credentials: "same-origin" }).then(function (response) {
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
    }).catch(function (err) { X.showError("exchange-file-error", err.message || t("failed")); });
  }

  X.send = function (blob, name, extraHeaders, onDone) {
    var progress = $("exchange-file-progress");
    var status = $("exchange-file-status");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/visit/" + X.visitId + "/files?lang=" + encodeURIComponent(X.lang));
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(name));
    if (X.token) xhr.setRequestHeader("Authorization", "Bearer " + X.token);
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
  };

  $("exchange-file-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("exchange-file");
    var file = input.files && input.files[0];
    var limits = X.limits;
    if (!file) { X.showError("exchange-file-error", t("no_file")); return; }
    if (limits.max_bytes && file.size > limits.max_bytes) {  // the server checks too; this saves sending it
      X.showError("exchange-file-error", t("too_large", { mb: X.megabytes(limits.max_bytes) }));
      return;
    }
    X.showError("exchange-file-error", "");
    X.send(file, file.name, {}, function (error) {
      if (error) { X.showError("exchange-file-error", error); input.focus(); }
      else input.value = "";
    });
  });
})(window.VO, window.VO.exchange);
