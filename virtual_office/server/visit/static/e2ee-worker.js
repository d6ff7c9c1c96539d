/* End-to-end encryption of the visit's media frames, in a worker of its own (served from our
 * origin: the page's CSP allows no blob: workers). See docs/e2ee.md.
 *
 * Each frame leaves the browser as [clear header][AES-GCM ciphertext and tag][IV 12][key id 4]:
 * the first 10 bytes of a VP8 keyframe, 3 of a delta frame and 1 of an Opus frame stay clear
 * (the server and the receiving browser's packetiser read them) and are authenticated as
 * additional data. IV and key id travel inside the frame because the server rewrites SSRC,
 * timestamps and picture ids. A frame without a known key, or that does not decrypt, is dropped:
 * the decoder never sees ciphertext and never asks for keyframe after keyframe. */
"use strict";

var TRAILER = 16;  // IV (12) and key id (4)
var TAG = 16;
var send = null;  // {id, key}: what our own frames are encrypted with
var receive = new Map();  // key id -> {key, from}
var counts = {  // frames by kind, for tests and diagnostics
  audio: { encrypted: 0, decrypted: 0, dropped: 0 }, video: { encrypted: 0, decrypted: 0, dropped: 0 }
};
var plain = false;  // the clerk let this visit's video go unencrypted (a member's browser cannot encrypt)
var dark = {};  // receiver's mid -> {since, last}: the first and the latest of its frames that could not be
                // decrypted since the last that could (ms), for the page to say whose key is missing
var senders = [];  // the video senders' transformers, to make a keyframe when our key changes (Firefox)
var receivers = [];  // the video receivers' transformers, to ask for a keyframe when a key arrives (Chromium has
                     // no generateKeyFrame on the sending side: a receiver that just got the key asks instead)

function clearBytes(kind, frame) {
  if (kind !== "video") return 1;
  return frame.type === "key" ? 10 : 3;
}

async function encrypt(kind, frame, controller) {
  if (plain) { controller.enqueue(frame); return; }
  var current = send;
  if (!current) { counts[kind].dropped++; return; }  // nothing leaves unencrypted
  var data = new Uint8Array(frame.data);
  var clear = Math.min(clearBytes(kind, frame), data.length);
  var iv = crypto.getRandomValues(new Uint8Array(12));
  var sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: iv, additionalData: data.subarray(0, clear) }, current.key, data.subarray(clear)));
  var out = new Uint8Array(clear + sealed.length + TRAILER);
  out.set(data.subarray(0, clear), 0);
  out.set(sealed, clear);
  out.set(iv, clear + sealed.length);
  new DataView(out.buffer).setUint32(clear + sealed.length + 12, current.id);
  frame.data = out.buffer;
  counts[kind].encrypted++;
  controller.enqueue(frame);
}

function unreadable(kind, mid) {
  counts[kind].dropped++;
  var now = Date.now();
  if (mid === null || mid === undefined) return;
  var entry = dark[mid] || (dark[mid] = { since: now, last: now });
  entry.last = now;
}

async function decrypt(kind, frame, controller, mid) {
  if (plain) { controller.enqueue(frame); return; }
  var data = new Uint8Array(frame.data);
  var clear = clearBytes(kind, frame);
  if (data.length < clear + TAG + TRAILER) { unreadable(kind, mid); return; }
  var end = data.length - TRAILER;
  var entry = receive.get(new DataView(data.buffer, data.byteOffset).getUint32(end + 12));
  if (!entry) { unreadable(kind, mid); return; }
  try {
    var opened = new Uint8Array(await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: data.slice(end, end + 12), additionalData: data.subarray(0, clear) }, entry.key, data.subarray(clear, end)));
    var out = new Uint8Array(clear + opened.length);
    out.set(data.subarray(0, clear), 0);
    out.set(opened, clear);
    frame.data = out.buffer;
  } catch (e) {
    unreadable(kind, mid);  // a wrong key, or not encrypted at all
    return;
  }
  counts[kind].decrypted++;
  if (mid !== null && mid !== undefined) delete dark[mid];
  controller.enqueue(frame);
}

function pipe(readable, writable, options, transformer) {
  var kind = options.kind, sending = options.direction === "send";
  if (kind === "video" && transformer) (sending ? senders : receivers).push(transformer);
  readable.pipeThrough(new TransformStream({
    transform: function (frame, controller) { return sending ? encrypt(kind, frame, controller) : decrypt(kind, frame, controller, options.mid); }
  })).pipeTo(writable).catch(function () { /* the connection closed */ });
}

function importKey(raw) {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

// RTCRtpScriptTransform (Firefox, Chromium)
self.onrtctransform = function (event) {
  var transformer = event.transformer;
  pipe(transformer.readable, transformer.writable, transformer.options, transformer);
};

self.onmessage = function (event) {
  var msg = event.data;
  if (msg.type === "stream") {  // Chromium's createEncodedStreams
    pipe(msg.readable, msg.writable, msg, null);
  } else if (msg.type === "send") {
    importKey(msg.raw).then(function (key) {
      send = { id: msg.id, key: key };
      // the others start on the new key with a whole picture
      senders.forEach(function (t) { try { Promise.resolve(t.generateKeyFrame()).catch(function () {}); } catch (e) { /* none */ } });
    });
  } else if (msg.type === "receive") {
    importKey(msg.raw).then(function (key) {
      // a participant's keys before the one they used last go: in-flight frames need only that
      var own = [];
      receive.forEach(function (entry, id) { if (entry.from === msg.from) own.push(id); });
      own.slice(0, Math.max(0, own.length - 1)).forEach(function (id) { receive.delete(id); });
      receive.set(msg.id, { key: key, from: msg.from });
      receivers.forEach(function (t) {
        try { Promise.resolve(t.sendKeyFrameRequest()).catch(function () {}); } catch (e) { /* none */ }
      });
    });
  } else if (msg.type === "forget") {
    receive.forEach(function (entry, id) { if (entry.from === msg.from) receive.delete(id); });
  } else if (msg.type === "plain") {
    plain = true;
  } else if (msg.type === "dark") {
    self.postMessage({ type: "dark", dark: dark, now: Date.now() });
  } else if (msg.type === "counts") {
    self.postMessage({ type: "counts", counts: counts, keys: Array.from(receive.keys()) });
  }
};
