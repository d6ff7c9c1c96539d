/* End-to-end encryption of the visit (docs/e2ee.md): the keys are agreed between the members'
 * browsers, the server relays their messages and forwards frames it cannot read.
 *
 * Each page has an ECDH P-256 key pair for as long as it is open and a media key of its own
 * (AES-GCM, with a random 32-bit id), which it seals for every other member with a key derived
 * from the two pages' ECDH secret (HKDF-SHA-256) and sends over /visit (`key`). A new media key
 * goes out whenever someone joins, leaves, is let go or comes back with a new page; the old one
 * stays in use for a second so that the others have the new one first. Public keys are exchanged
 * commit before reveal (as ZRTP does), with a fresh nonce in every round, and the safety code is
 * made from every member's public key and nonce as this page knows them: a server that swapped a
 * key in between makes the codes on the two sides differ, and cannot try keys until they match.
 * The frames themselves are encrypted in e2ee-worker.js. */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;
  var subtle = window.crypto && window.crypto.subtle;
  var scriptTransform = typeof window.RTCRtpScriptTransform === "function";
  var encodedStreams = !scriptTransform && typeof window.RTCRtpSender === "function" &&
    typeof window.RTCRtpSender.prototype.createEncodedStreams === "function";
  var SWITCH_MS = 1000;
  var KEY_WAIT_MS = 10000;  // a key comes a second or two after the picture; this long without one, it is not coming
  var encoder = new TextEncoder();

  var E = V.e2ee = {
    supported: !!subtle && (scriptTransform || encodedStreams),
    worker: null,
    pair: null,  // our ECDH key pair, a promise
    publicKey: null,  // ours, base64url
    peers: {},  // participant -> {commit, round, hello: {public, nonce}, refused, publicKey, seal (promise of an AES-GCM key)}
    own: null,  // our current media key {id, raw}
    members: [],  // the other participants, as the server last named them
    code: null,
    early: [],  // key messages that came before we knew who we are
    unnamed: [],  // key messages from members the server has not named yet
    round: null,  // this page's round of commit before reveal: {n, nonce, commit, revealed}
    plain: false,  // the clerk let this visit's video go unencrypted (docs/e2ee.md)
    asking: [],  // the participants whose browsers cannot encrypt
    waiting: {},  // participant -> since when their media comes without a key of theirs (ms)
    missing: [],  // the members whose media came without their key for KEY_WAIT_MS: their tiles stay dark
    transformed: typeof WeakSet === "function" ? new WeakSet() : null
  };

  function b64(bytes) {
    var text = "";
    new Uint8Array(bytes).forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64(text) {
    var bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* ---------- the frames: a transform on every sender and receiver ---------- */

  function ensureWorker() {
    if (!E.worker) {
      E.worker = new Worker("/static/visit/e2ee-worker.js", { name: "e2ee" });
      if (E.plain) E.worker.postMessage({ type: "plain" });
    }
    return E.worker;
  }

  /* Encrypts (direction "send") or decrypts ("receive") what passes ``end`` (an RTCRtpSender or RTCRtpReceiver). */
  E.transform = function (end, kind, direction) {
    if (!E.supported || !end || (E.transformed && E.transformed.has(end))) return;
    if (E.transformed) E.transformed.add(end);
    var worker = ensureWorker();
    var mid = null;  // a receiver's, so that the worker can say whose frames it cannot decrypt (the track map names the mid's sender)
    if (direction === "receive" && V.rtc.pc) V.rtc.pc.getTransceivers().forEach(function (tr) { if (tr.receiver === end) mid = tr.mid; });
    if (scriptTransform) {
      end.transform = new window.RTCRtpScriptTransform(worker, { kind: kind, direction: direction, mid: mid });
    } else {
      var streams = end.createEncodedStreams();
      worker.postMessage({ type: "stream", kind: kind, direction: direction, mid: mid, readable: streams.readable, writable: streams.writable },
                         [streams.readable, streams.writable]);
    }
  };

  /* Every receiver of the connection that has none yet (called before the answer to each offer is made). */
  E.receiveAll = function (pc) {
    pc.getTransceivers().forEach(function (tr) { E.transform(tr.receiver, tr.receiver.track.kind, "receive"); });
  };

  /* The options for a new RTCPeerConnection (Chromium's encoded streams must be asked for there). */
  E.peerOptions = function (options) {
    if (E.supported && encodedStreams) options.encodedInsertableStreams = true;
    return options;
  };

  /* ---------- the keys ---------- */

  function newMediaKey(delay) {
    var raw = window.crypto.getRandomValues(new Uint8Array(16));
    var id = window.crypto.getRandomValues(new Uint32Array(1))[0];
    E.own = { id: id, raw: raw };
    window.setTimeout(function () {
      if (E.own && E.own.id === id) ensureWorker().postMessage({ type: "send", id: id, raw: raw.buffer.slice(0) });
    }, delay);
  }

  function start() {
    if (E.pair) return E.pair;
    E.pair = subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]).then(function (pair) {
      return subtle.exportKey("raw", pair.publicKey).then(function (raw) {
        E.publicKey = b64(raw);
        newMediaKey(0);
        return renew().then(function () { return pair; });
      });
    });
    return E.pair;
  }

  function sealingKey(theirs) {
    return E.pair.then(function (pair) {
      return subtle.importKey("raw", unb64(theirs), { name: "ECDH", namedCurve: "P-256" }, false, []).then(function (pub) {
        return subtle.deriveBits({ name: "ECDH", public: pub }, pair.privateKey, 256);
      }).then(function (secret) {
        return subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]);
      }).then(function (hkdf) {
        var both = [E.publicKey, theirs].sort().join(".");
        return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("virtual-office e2ee " + both) },
                                hkdf, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      });
    });
  }

  /* Key messages go out one after the other, each once the server took the one before: a reveal
   * never overtakes its commitment, a sealed key never its reveal. */
  var outbox = Promise.resolve();
  function emit(message) {
    outbox = outbox.then(function () {
      if (!V.socket || !V.socket.connected) return null;  // a lost one is sent again on the next change
      return new Promise(function (resolve) {
        var timer = window.setTimeout(resolve, 3000);
        V.socket.emit("key", message, function () { window.clearTimeout(timer); resolve(); });
      });
    });
  }

  /* ---------- commit before reveal (as ZRTP): no one can try keys until the codes match ----------
   * A round: a fresh nonce, and the commitment SHA-256(public key, nonce) to every other member.
   * The public key and nonce (`hello`) go out only once this page holds a commitment made in this
   * round by every other member, and a `hello` that does not match its sender's commitment is
   * refused. The code covers every member's key and nonce: whatever the server puts in on one
   * side was fixed before this page's nonce was known, and this page's nonce makes the code. */

  function commitment(publicKey, nonce) {
    return subtle.digest("SHA-256", encoder.encode("virtual-office e2ee commit " + publicKey + "." + nonce)).then(b64);
  }

  /* A new round: a fresh nonce and its commitment to everyone (a join, a leave, a let go, a new page). */
  function renew() {
    var nonce = b64(window.crypto.getRandomValues(new Uint8Array(16)));
    var round = E.round = { n: (E.round ? E.round.n : 0) + 1, nonce: nonce, commit: null, revealed: false };
    E.code = null;
    render();
    return commitment(E.publicKey, nonce).then(function (value) {
      round.commit = value;
      if (E.round !== round) return;
      others().forEach(commitTo);
      reveal();
    });
  }

  function commitTo(participant) {
    if (E.round && E.round.commit && V.me.participant) emit({ to: participant, kind: "commit", commit: E.round.commit });
  }

  function peer(participant) {
    return E.peers[participant] || (E.peers[participant] = { round: 0 });
  }

  /* Our key and nonce to everyone, once every other member's commitment of this round is here. */
  function reveal() {
    var round = E.round, now = others();
    if (!round || !round.commit || round.revealed || !V.me.participant || !now.length) return;
    if (!now.every(function (p) { return E.peers[p] && E.peers[p].round === round.n; })) return;
    round.revealed = true;
    now.forEach(function (p) { emit({ to: p, kind: "hello", public: E.publicKey, nonce: round.nonce }); });
    now.forEach(giveKey);
    updateCode();
  }

  /* Our media key, sealed for ``participant`` (bound to the two of us: a key sealed for another cannot be passed on);
   * only to a member whose key we took, once they have ours. */
  function giveKey(participant) {
    var p = E.peers[participant], own = E.own;
    if (!p || !p.seal || !own || !E.round || !E.round.revealed) return;
    var plain = new Uint8Array(20);
    new DataView(plain.buffer).setUint32(0, own.id);
    plain.set(own.raw, 4);
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    p.seal.then(function (key) {
      return subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: encoder.encode(V.me.participant + ">" + participant) }, key, plain);
    }).then(function (sealed) {
      var out = new Uint8Array(12 + sealed.byteLength);
      out.set(iv, 0);
      out.set(new Uint8Array(sealed), 12);
      emit({ to: participant, kind: "key", public: E.publicKey, sealed: b64(out) });
    }).catch(function () {});
  }

  /* A new media key of ours for everyone still here; the old one stays in use for a moment. */
  function rotate() {
    newMediaKey(SWITCH_MS);
    Object.keys(E.peers).forEach(giveKey);
  }

  function onCommit(from, value) {
    var p = peer(from);
    if (p.commit === value) return;  // sent again (a reconnect): nothing new
    if (E.round.revealed) return renew().then(function () { takeCommit(from, value); });  // our nonce is known: a new round
    commitTo(from);  // a new page of theirs has none of ours yet
    takeCommit(from, value);
  }

  function takeCommit(from, value) {
    var p = peer(from);
    p.commit = value;
    p.round = E.round.n;
    p.refused = false;
    p.hello = null;  // their key and nonce of before are no longer theirs for this round
    reveal();
  }

  function onHello(from, message) {
    var p = peer(from);
    if (typeof message.nonce !== "string") return;
    if (p.hello && p.hello.public === message.public && p.hello.nonce === message.nonce) { giveKey(from); return; }  // again: a reconnect
    return commitment(message.public, message.nonce).then(function (value) {
      if (E.peers[from] !== p) return;
      if (!p.commit || value !== p.commit) {  // not what they committed to: no key of theirs, no code
        p.refused = true;
        E.code = null;
        render();
        V.announce(t("e2ee.refused_key"));
        return;
      }
      p.hello = { public: message.public, nonce: message.nonce };
      if (p.publicKey !== message.public) {  // someone new, or back with a new page: their old keys go, ours is renewed
        p.publicKey = message.public;
        p.keyed = false;
        p.seal = sealingKey(message.public);
        p.seal.catch(function () { if (E.peers[from] === p) p.seal = null; });
        ensureWorker().postMessage({ type: "forget", from: from });
        rotate();
      } else {
        giveKey(from);
      }
      updateCode();
    });
  }

  function onSealed(from, message) {
    var p = E.peers[from];
    if (!p || !p.seal || !p.hello || p.publicKey !== message.public || typeof message.sealed !== "string") return;
    var sealed = unb64(message.sealed);
    return p.seal.then(function (key) {
      return subtle.decrypt({ name: "AES-GCM", iv: sealed.slice(0, 12), additionalData: encoder.encode(from + ">" + V.me.participant) },
                            key, sealed.slice(12));
    }).then(function (plain) {
      if (E.peers[from] !== p) return;
      var bytes = new Uint8Array(plain);
      ensureWorker().postMessage({ type: "receive", from: from, id: new DataView(bytes.buffer).getUint32(0), raw: bytes.slice(4).buffer });
      p.keyed = true;
      checkKeys();
    }).catch(function () { /* not sealed for us by them: ignored */ });
  }

  /* A message relayed from another member; they are taken one at a time, in the order they came. */
  var inbox = Promise.resolve();
  E.onKey = function (message) {
    if (!E.supported || !message || typeof message.from !== "string") return;
    if (!V.me.participant) { E.early.push(message); return; }  // keys are bound to who we are: known once whoami answers
    var from = message.from;
    if (from === V.me.participant) return;
    // from a member the server has not named to us yet (the participants event comes later): kept until it does
    if (others().indexOf(from) < 0) { if (E.unnamed.length < 50) E.unnamed.push(message); return; }
    inbox = inbox.then(start).then(function () {
      if (others().indexOf(from) < 0) return null;
      if (message.kind === "commit" && typeof message.commit === "string") return onCommit(from, message.commit);
      if (message.kind === "hello" && typeof message.public === "string") return onHello(from, message);
      if (message.kind === "key" && typeof message.public === "string") return onSealed(from, message);
      return null;
    }).catch(function () {});
  };

  function others() {
    return E.members.filter(function (p) { return p !== V.me.participant; });
  }

  /* Our socket is (again) in the visit: learn whether it is encrypted, say so if we cannot, and
   * send our commitment (and key, if revealed) again, in case the server lost them. */
  E.connected = function () {
    V.call(E.supported ? "encryption" : "cannot_encrypt").then(function (answer) { if (answer.ok) E.onState(answer); });
    if (!E.supported) return;
    inbox = inbox.then(start).then(function () {
      var round = E.round;
      others().forEach(function (p) {
        commitTo(p);
        if (round.revealed) emit({ to: p, kind: "hello", public: E.publicKey, nonce: round.nonce });
      });
      reveal();
    }).catch(function () {});
    E.early.splice(0).forEach(E.onKey);
  };

  /* What the server says of the visit (`encryption`): encrypted or not, and whose browsers cannot. */
  E.onState = function (state) {
    if (!state) return;
    E.asking = Array.isArray(state.cannot_encrypt) ? state.cannot_encrypt : [];
    if (state.e2ee === false && !E.plain) {
      E.plain = true;
      if (E.worker) E.worker.postMessage({ type: "plain" });
      V.announce(t("e2ee.plain"));
      if (V.cannotEncrypt && V.startMedia) V.startMedia();
    }
    render();
  };

  /* Who the server says is in the visit now: a new round for the new set (the nonce we revealed is
   * spent), the keys of who went forgotten and ours renewed. */
  E.setMembers = function (participants) {
    if (!E.supported) return;
    var before = others();
    E.members = participants.slice();
    var now = others();
    var added = now.filter(function (p) { return before.indexOf(p) < 0; });
    var kept = E.unnamed.splice(0);
    inbox = inbox.then(start).then(function () {
      var gone = Object.keys(E.peers).filter(function (p) { return now.indexOf(p) < 0; });
      gone.forEach(function (p) {
        delete E.peers[p];
        ensureWorker().postMessage({ type: "forget", from: p });
      });
      if (gone.length) rotate();
      if (!gone.length && !added.length) return null;
      if (E.round.revealed) return renew();
      added.forEach(commitTo);
      reveal();
      updateCode();
      return null;
    }).catch(function () {});
    kept.forEach(E.onKey);
  };

  /* ---------- the safety code ---------- */

  /* Shown once this page revealed in this round and took every other member's matching key and nonce. */
  function updateCode() {
    if (E.plain) return;
    var round = E.round, now = others();
    var ready = round && round.revealed && now.length > 0 && now.every(function (p) {
      var q = E.peers[p];
      return q && q.round === round.n && q.hello && !q.refused;
    });
    if (!ready) { if (E.code !== null) { E.code = null; render(); } return; }
    var lines = now.map(function (p) { return p + "=" + E.peers[p].hello.public + "." + E.peers[p].hello.nonce; });
    lines.push(V.me.participant + "=" + E.publicKey + "." + round.nonce);
    lines.sort();
    subtle.digest("SHA-256", encoder.encode(lines.join("\n"))).then(function (hash) {
      if (E.round !== round) return;
      var n = new DataView(hash).getUint32(0) % 1000000;
      var digits = ("00000" + n).slice(-6);
      var code = digits.slice(0, 3) + " " + digits.slice(3);
      if (code === E.code) return;
      E.code = code;
      render();
      V.announce(t("e2ee.code_announced", { code: digits.split("").join(" ") }));
    });
  }

  /* ---------- a member whose key does not come ----------
   * Their frames are dropped before the decoder (nothing is shown unencrypted, and no keyframe is
   * asked for), so their tile would stay black without a word. The page says whose key is missing,
   * on the tile and to screen readers, until it comes: when their media has come for KEY_WAIT_MS
   * and no key of theirs did, or when their frames keep coming and none could be decrypted for
   * KEY_WAIT_MS (a key taken back, or a wrong one). */

  function checkKeys() {
    var worker = E.worker;
    if (!worker) { decide({}); return; }
    var listener = function (event) {
      if (!event.data || event.data.type !== "dark") return;
      worker.removeEventListener("message", listener);
      decide(event.data.dark || {});
    };
    worker.addEventListener("message", listener);
    worker.postMessage({ type: "dark" });
  }

  /* ``dark``: from the worker, receiver's mid -> {since, last} of the frames it could not decrypt. */
  function decide(dark) {
    var now = Date.now(), media = {}, unreadable = {};
    Object.keys(V.rtc.tracks || {}).forEach(function (mid) {
      var info = V.rtc.tracks[mid];
      if (!info || !info.participant) return;
      media[info.participant] = true;
      var frames = dark[mid];
      if (frames && now - frames.last < 3000 && now - frames.since >= KEY_WAIT_MS) unreadable[info.participant] = true;
    });
    var watch = E.supported && !E.plain && !V.over;
    var missing = others().filter(function (p) {
      var q = E.peers[p];
      if (!watch || !media[p] || E.asking.indexOf(p) >= 0) { delete E.waiting[p]; return false; }
      if (unreadable[p]) return true;
      if (q && q.keyed) { delete E.waiting[p]; return false; }
      E.waiting[p] = E.waiting[p] || now;
      return now - E.waiting[p] >= KEY_WAIT_MS;
    });
    var added = missing.filter(function (p) { return E.missing.indexOf(p) < 0; });
    var changed = added.length > 0 || missing.length !== E.missing.length;
    E.missing = missing;
    markTiles();
    if (!changed) return;
    render();
    if (added.length) V.announce($("e2ee-state").textContent);
  }

  function missingNames() {
    return E.missing.map(function (p) { return V.nameOf ? V.nameOf(p) : p; }).join(", ");
  }

  /* The tiles of members whose key is missing say so (tiles.js makes and removes the tiles). */
  function markTiles() {
    var tiles = document.querySelectorAll("#tiles li.tile[data-participant]");
    Array.prototype.forEach.call(tiles, function (li) {
      var lacking = E.missing.indexOf(li.getAttribute("data-participant")) >= 0;
      var note = li.querySelector(".e2ee-missing");
      if (lacking && !note) {
        note = document.createElement("p");
        note.className = "e2ee-missing";
        note.textContent = t("e2ee.no_key_tile");
        li.appendChild(note);
        li.setAttribute("data-e2ee", "no_key");
      } else if (!lacking && note) {
        note.remove();
        li.removeAttribute("data-e2ee");
      }
    });
  }

  window.setInterval(checkKeys, 1000);

  function refused() {
    return others().some(function (p) { return E.peers[p] && E.peers[p].refused; });
  }

  function render() {
    var box = $("e2ee");
    if (!box) return;
    var state = E.plain ? "plain" : !E.supported ? "unsupported" : refused() ? "refused_key" : E.missing.length ? "no_key"
      : E.code ? "encrypted" : "waiting";
    box.hidden = false;
    box.setAttribute("data-state", state);
    $("e2ee-state").textContent = t(state === "encrypted" ? "e2ee.on" : "e2ee." + state, { names: missingNames() });
    $("e2ee-code").textContent = E.code || "";
    $("e2ee-code-line").hidden = state !== "encrypted";
    // The serving clerk learns whose browser cannot encrypt, and decides where the office lets them.
    var names = E.asking.filter(function (p) { return p !== V.me.participant; })
      .map(function (p) { return (V.people[p] && V.people[p].name) || p; });
    var ask = V.me.role === "clerk" && !E.plain && names.length > 0;
    $("e2ee-ask").hidden = !ask;
    if (ask) {
      var decide = V.config.unencrypted_video === "clerk";
      $("e2ee-ask-text").textContent = t(decide ? "e2ee.ask" : "e2ee.refused", { names: names.join(", ") });
      $("e2ee-allow").hidden = !decide;
    }
  }

  $("e2ee-allow").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    V.call("allow_unencrypted").then(function (answer) {
      button.disabled = false;
      if (answer.ok) E.onState(answer);
      else V.showError(answer.message || t("failed"));
    });
  });

  /* For tests and diagnostics: what the worker did with frames, by kind, and the ids of the keys it holds. */
  E.counts = function () {
    if (!E.worker) return Promise.resolve(null);
    return new Promise(function (resolve) {
      var worker = E.worker;
      var listener = function (event) {
        if (event.data && event.data.type === "counts") {
          worker.removeEventListener("message", listener);
          resolve({ audio: event.data.counts.audio, video: event.data.counts.video, keys: event.data.keys });
        }
      };
      worker.addEventListener("message", listener);
      worker.postMessage({ type: "counts" });
    });
  };

  render();
})(window.VO, window.VO.visit);
