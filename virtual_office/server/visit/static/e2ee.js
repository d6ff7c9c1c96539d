/* End-to-end encryption of the visit (docs/e2ee.md): the keys are agreed between the members'
 * browsers, the server relays their messages and forwards frames it cannot read.
 *
 * Each page has an ECDH P-256 key pair for as long as it is open and a media key of its own
 * (AES-GCM, with a random 32-bit id), which it seals for every other member with a key derived
 * from the two pages' ECDH secret (HKDF-SHA-256) and sends over /visit (`key`). A new media key
 * goes out whenever someone joins, leaves, is let go or comes back with a new page; the old one
 * stays in use for a second so that the others have the new one first. The safety code is made
 * from every member's public key as this page knows them: a server that swapped a key in between
 * makes the codes on the two sides differ. The frames themselves are encrypted in e2ee-worker.js. */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;
  var subtle = window.crypto && window.crypto.subtle;
  var scriptTransform = typeof window.RTCRtpScriptTransform === "function";
  var encodedStreams = !scriptTransform && typeof window.RTCRtpSender === "function" &&
    typeof window.RTCRtpSender.prototype.createEncodedStreams === "function";
  var SWITCH_MS = 1000;
  var encoder = new TextEncoder();

  var E = V.e2ee = {
    supported: !!subtle && (scriptTransform || encodedStreams),
    worker: null,
    pair: null,  // our ECDH key pair, a promise
    publicKey: null,  // ours, base64url
    peers: {},  // participant -> {publicKey, seal (promise of an AES-GCM key)}
    own: null,  // our current media key {id, raw}
    members: [],  // the other participants, as the server last named them
    code: null,
    early: [],  // key messages that came before we knew who we are
    plain: false,  // the clerk let this visit's video go unencrypted (docs/e2ee.md)
    asking: [],  // the participants whose browsers cannot encrypt
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
    if (scriptTransform) {
      end.transform = new window.RTCRtpScriptTransform(worker, { kind: kind, direction: direction });
    } else {
      var streams = end.createEncodedStreams();
      worker.postMessage({ type: "stream", kind: kind, direction: direction, readable: streams.readable, writable: streams.writable },
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
        return pair;
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

  function emit(message) {
    if (V.socket && V.socket.connected) V.socket.emit("key", message, function () { /* a lost one is sent again on the next change */ });
  }

  function hello(participant) {
    emit({ to: participant, kind: "hello", public: E.publicKey });
  }

  /* Our media key, sealed for ``participant`` (bound to the two of us: a key sealed for another cannot be passed on). */
  function giveKey(participant) {
    var peer = E.peers[participant], own = E.own;
    if (!peer || !own) return;
    var plain = new Uint8Array(20);
    new DataView(plain.buffer).setUint32(0, own.id);
    plain.set(own.raw, 4);
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    peer.seal.then(function (key) {
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

  /* A message relayed from another member. */
  E.onKey = function (message) {
    if (!E.supported || !message || typeof message.from !== "string" || typeof message.public !== "string") return;
    if (!V.me.participant) { E.early.push(message); return; }  // keys are bound to who we are: known once whoami answers
    var from = message.from;
    if (from === V.me.participant || others().indexOf(from) < 0) return;
    start().then(function () {
      var peer = E.peers[from];
      var fresh = !peer || peer.publicKey !== message.public;
      if (fresh) {  // someone new, or back with a new page: their old keys go, ours is renewed
        peer = E.peers[from] = { publicKey: message.public, seal: sealingKey(message.public) };
        peer.seal.catch(function () { if (E.peers[from] === peer) delete E.peers[from]; });
        ensureWorker().postMessage({ type: "forget", from: from });
        updateCode();
        rotate();
      } else if (message.kind === "hello") {
        giveKey(from);  // they reconnected: our current key again
      }
      if (message.kind !== "key" || !message.sealed) return;
      var sealed = unb64(message.sealed);
      peer.seal.then(function (key) {
        return subtle.decrypt({ name: "AES-GCM", iv: sealed.slice(0, 12), additionalData: encoder.encode(from + ">" + V.me.participant) },
                              key, sealed.slice(12));
      }).then(function (plain) {
        if (E.peers[from] !== peer) return;
        var bytes = new Uint8Array(plain);
        ensureWorker().postMessage({ type: "receive", from: from, id: new DataView(bytes.buffer).getUint32(0), raw: bytes.slice(4).buffer });
      }).catch(function () { /* not sealed for us by them: ignored */ });
    });
  };

  function others() {
    return E.members.filter(function (p) { return p !== V.me.participant; });
  }

  /* Our socket is (again) in the visit: learn whether it is encrypted, say so if we cannot, greet everyone. */
  E.connected = function () {
    V.call(E.supported ? "encryption" : "cannot_encrypt").then(function (answer) { if (answer.ok) E.onState(answer); });
    if (!E.supported) return;
    start().then(function () { others().forEach(hello); });
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

  /* Who the server says is in the visit now: greet the new, forget who went and renew our key. */
  E.setMembers = function (participants) {
    if (!E.supported) return;
    var before = others();
    E.members = participants.slice();
    var now = others();
    var gone = Object.keys(E.peers).filter(function (p) { return now.indexOf(p) < 0; });
    var added = now.filter(function (p) { return before.indexOf(p) < 0; });
    start().then(function () {
      gone.forEach(function (p) {
        delete E.peers[p];
        ensureWorker().postMessage({ type: "forget", from: p });
      });
      if (gone.length) { updateCode(); rotate(); }
      if (V.socket && V.socket.connected && V.me.participant) added.forEach(hello);
    });
  };

  /* ---------- the safety code ---------- */

  function updateCode() {
    if (E.plain) return;
    var known = Object.keys(E.peers);
    if (!known.length) { E.code = null; render(); return; }
    var lines = known.map(function (p) { return p + "=" + E.peers[p].publicKey; });
    lines.push(V.me.participant + "=" + E.publicKey);
    lines.sort();
    subtle.digest("SHA-256", encoder.encode(lines.join("\n"))).then(function (hash) {
      var n = new DataView(hash).getUint32(0) % 1000000;
      var digits = ("00000" + n).slice(-6);
      var code = digits.slice(0, 3) + " " + digits.slice(3);
      if (code === E.code) return;
      E.code = code;
      render();
      V.announce(t("e2ee.code_announced", { code: digits.split("").join(" ") }));
    });
  }

  function render() {
    var box = $("e2ee");
    if (!box) return;
    var state = E.plain ? "plain" : !E.supported ? "unsupported" : E.code ? "encrypted" : "waiting";
    box.hidden = false;
    box.setAttribute("data-state", state);
    $("e2ee-state").textContent = t(state === "encrypted" ? "e2ee.on" : "e2ee." + state);
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
