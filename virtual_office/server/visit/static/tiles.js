/* What the visit receives: a tile (video and name) for each participant's camera and screen,
 * as the server's track map says, and a line on the connection's quality. */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;
  var rtc = V.rtc;
  var tiles = V.tiles;
  var QUALITY_SECONDS = 2;

  V.nameOf = function (participant) {
    var person = V.people[participant];
    if (!person) return t("someone");
    return person.name ? t("label." + person.role, { name: person.name }) : t("role." + person.role);
  };

  function wanted() {
    var pc = rtc.pc;
    var result = {};
    if (!pc) return result;
    pc.getTransceivers().forEach(function (tr) {
      var info = tr.mid !== null && rtc.tracks[tr.mid];
      if (!info || !tr.receiver.track) return;
      var key = info.participant + "/" + (info.source === "screen" ? "screen" : "camera");
      var entry = result[key] || (result[key] = { participant: info.participant, screen: info.source === "screen", tracks: [] });
      entry.tracks.push(tr.receiver.track);
    });
    return result;
  }

  V.renderTiles = function () {
    var want = wanted();
    var before = {}, after = {};
    Object.keys(tiles).forEach(function (key) { before[tiles[key].participant] = true; });
    Object.keys(want).forEach(function (key) { after[want[key].participant] = true; });
    Object.keys(tiles).forEach(function (key) {
      if (want[key]) return;
      tiles[key].li.remove();
      delete tiles[key];
    });
    Object.keys(want).forEach(function (key) {
      var info = want[key];
      var tile = tiles[key] || (tiles[key] = makeTile(key, info));
      var ids = info.tracks.map(function (track) { return track.id; }).sort().join(",");
      if (tile.ids !== ids) {
        tile.ids = ids;
        tile.video.srcObject = new MediaStream(info.tracks);
        play(tile.video);
      }
      tile.label.textContent = info.screen ? t("screen_of", { name: V.nameOf(info.participant) }) : V.nameOf(info.participant);
      tile.video.setAttribute("aria-label", tile.label.textContent);
    });
    Object.keys(after).forEach(function (p) { if (!before[p]) V.announce(t("joined", { name: V.nameOf(p) })); });
    Object.keys(before).forEach(function (p) { if (!after[p] && !V.over) V.announce(t("left", { name: V.nameOf(p) })); });
    markAway();
    $("alone").hidden = Object.keys(tiles).length > 0;
  };

  /* A member whose last connection went (the server's participants event): the media server keeps
   * their tile's stream open a while in case they come back (docs/media.md), so the last picture
   * would stand frozen without a word. The tile says so, dimmed, until they are connected again.
   * Not for a reload or a brief drop: only once they have been gone for AWAY_AFTER_MS. */
  var AWAY_AFTER_MS = 3000;
  var awayTimer = 0;
  var announcedAway = {};  // participant -> true once "connection lost" was said for them

  function away(participant) {
    var person = V.people[participant];
    return !!person && person.connected === false && Date.now() - person.awaySince >= AWAY_AFTER_MS &&
      !(V.me && V.me.participant === participant);
  }

  /* Look again when the first member still within the grace has been gone long enough. */
  function awaitAway() {
    window.clearTimeout(awayTimer);
    var due = Infinity;
    Object.keys(V.people).forEach(function (p) {
      var person = V.people[p];
      if (person.connected === false && !away(p)) due = Math.min(due, person.awaySince + AWAY_AFTER_MS - Date.now());
    });
    if (due !== Infinity) awayTimer = window.setTimeout(function () { markAway(); V.announceAway(); }, Math.max(due, 0) + 50);
  }

  function markAway() {
    Object.keys(tiles).forEach(function (key) {
      var tile = tiles[key];
      var gone = away(tile.participant);
      var note = tile.li.querySelector(".away");
      if (gone && !note) {
        note = document.createElement("p");
        note.className = "away";
        note.textContent = t("away_tile");
        tile.li.appendChild(note);
        tile.li.setAttribute("data-away", "true");
      } else if (!gone && note) {
        note.remove();
        tile.li.removeAttribute("data-away");
      }
    });
    awaitAway();
  }

  /* Said once through the live region when another member has been gone past the grace, and once when
   * they are back (not before this page knows who it is itself: an event sent while it joined may not
   * count it yet). A member back within the grace is never announced at all. */
  V.announceAway = function () {
    Object.keys(announcedAway).forEach(function (p) { if (!V.people[p]) delete announcedAway[p]; });
    Object.keys(V.people).forEach(function (p) {
      if (V.over || !V.me || p === V.me.participant) return;
      if (away(p) && !announcedAway[p]) {
        announcedAway[p] = true;
        V.announce(t("away", { name: V.nameOf(p) }));
      } else if (V.people[p].connected && announcedAway[p]) {
        delete announcedAway[p];
        V.announce(t("back", { name: V.nameOf(p) }));
      }
    });
  };

  V.removeTiles = function () {
    Object.keys(tiles).forEach(function (key) { tiles[key].li.remove(); delete tiles[key]; });
  };

  function makeTile(key, info) {
    var li = document.createElement("li");
    li.className = "tile" + (info.screen ? " screen" : "");
    li.setAttribute("data-participant", info.participant);
    li.setAttribute("data-source", info.screen ? "screen" : "camera");
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    var label = document.createElement("p");
    label.className = "label";
    li.appendChild(video);
    li.appendChild(label);
    $("tiles").appendChild(li);
    return { li: li, video: video, label: label, participant: info.participant, ids: "" };
  }

  // Autoplay with sound may be refused until the page is touched: play muted, offer the sound.
  function play(video) {
    var attempt = video.play();
    if (!attempt || !attempt.catch) return;
    attempt.catch(function (err) {
      if (!err || err.name !== "NotAllowedError") return;
      video.muted = true;
      video.play().catch(function () {});
      $("sound").hidden = false;
    });
  }

  $("sound").addEventListener("click", function () {
    Object.keys(tiles).forEach(function (key) { tiles[key].video.muted = false; tiles[key].video.play().catch(function () {}); });
    $("sound").hidden = true;
  });

  /* ---------- connection quality (round trip, loss, frames) ---------- */

  function measure() {
    var pc = rtc.pc;
    if (!pc || pc.connectionState !== "connected") return;
    pc.getStats().then(function (report) {
      var rtt = null, lost = 0, received = 0, fps = [];
      report.forEach(function (s) {
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
        if (s.type === "inbound-rtp") {
          lost += s.packetsLost || 0;
          received += s.packetsReceived || 0;
          if (s.kind === "video" && s.framesPerSecond !== undefined) fps.push(s.framesPerSecond);
        }
      });
      var last = rtc.stats;
      rtc.stats = { lost: lost, received: received };
      var loss = 0;
      if (last && received + lost > last.received + last.lost) loss = (lost - last.lost) / (received + lost - last.received - last.lost);
      var minFps = fps.length ? Math.min.apply(null, fps) : null;
      var quality = "good";
      if ((rtt !== null && rtt > 0.6) || loss > 0.08 || (minFps !== null && minFps < 8)) quality = "poor";
      else if ((rtt !== null && rtt > 0.3) || loss > 0.02 || (minFps !== null && minFps < 15)) quality = "fair";
      var line = $("quality");
      if (line.getAttribute("data-quality") !== quality && quality === "poor") V.announce(t("quality.poor"));
      line.setAttribute("data-quality", quality);
      line.textContent = t("quality." + quality);
    }).catch(function () {});
  }
  window.setInterval(measure, QUALITY_SECONDS * 1000);
})(window.VO, window.VO.visit);
