// The reference: a minimal socket.io 4 server with the office-status rooms of
// virtual-office's /public namespace, emitting a status payload 20 times a
// second round-robin over the offices. Started by benchmarks/realtime.py.
//
//   node reference-server.js PORT PAYLOAD_JSON_FILE [RATE]
//
// PAYLOAD_JSON_FILE holds {"offices": [payload, ...]}: the office payloads of
// the server under test, so both servers send the same bytes (only "waiting"
// and "at" change). Prints "listening" once ready and, on SIGTERM, the number
// of status emits, how long they took and this process's timer lag (the last
// 20,000 samples of each, ms).
"use strict";

const http = require("http");
const fs = require("fs");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const offices = JSON.parse(fs.readFileSync(process.argv[3], "utf8")).offices;
const rate = Number(process.argv[4] || 20);

const httpServer = http.createServer();
const io = new Server(httpServer, {
  // The same Engine.IO settings as virtual-office (server/realtime/__init__.py).
  pingInterval: 60000,
  pingTimeout: 20000,
  maxHttpBufferSize: 64 * 1024,
  perMessageDeflate: false,
  cors: { origin: "*" },
});

const byId = new Map(offices.map((o) => [o.id, o]));
const pub = io.of("/public");
pub.on("connection", (socket) => {
  const auth = socket.handshake.auth || {};
  const lang = auth.lang === "en" ? "en" : "de";
  const wanted = Array.isArray(auth.offices) && auth.offices.length ? auth.offices : [...byId.keys()];
  const visible = wanted.filter((id) => byId.has(id));
  for (const id of visible) socket.join(`office:${id}:${lang}`);
  socket.emit("offices", { offices: visible.map((id) => ({ ...byId.get(id), at: Date.now() })) });
});

let emits = 0;
let next = 0;
// How long an emit takes to hand its frames to the sockets, and how late this
// process's timers fire: what the server itself adds to the delivery latency.
const emitMs = [];
const lagMs = [];
let expected = Date.now() + 10;
setInterval(() => {
  const t = Date.now();
  lagMs.push(Math.max(0, t - expected));
  expected = t + 10;
}, 10);

function tick(start) {
  const office = offices[next++ % offices.length];
  office.waiting = (office.waiting + 1) % 2;
  const at = Date.now();
  pub.to(`office:${office.id}:de`).emit("office_status", { ...office, at });
  emitMs.push(Date.now() - at);
  emits++;
  // Against the start time, so a late timer does not lower the rate.
  setTimeout(tick, Math.max(0, start + (emits * 1000) / rate - Date.now()), start);
}

httpServer.listen(port, "127.0.0.1", () => {
  tick(Date.now());
  console.log("listening");
});

function percentiles(values) {
  const sorted = values.slice(-20000).sort((a, b) => a - b);
  const at = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null);
  return { p50: at(0.5), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : null };
}

process.on("SIGTERM", () => {
  console.log(JSON.stringify({ emits, emit_ms: percentiles(emitMs), loop_lag_ms: percentiles(lagMs) }));
  process.exit(0);
});
