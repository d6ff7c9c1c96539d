// Load generator: COUNT socket.io clients on /public over WebSocket only, each
// watching one office (client i watches OFFICES[(FIRST + i) % n]), recording
// the delivery latency of every office_status: receive time minus the
// payload's "at" (the server's clock when it computed the payload; same
// machine, same clock). Started by benchmarks/realtime.py.
//
//   node subscribers.js URL FIRST COUNT OFFICE,OFFICE,...
//
// Protocol on stdin/stdout (one JSON object a line):
//   -> {"ready": true, "connected": n, "failed": n, "seconds": s}  all attempted
//   <- "go SECONDS"                                                record for SECONDS
//   -> {"result": {...}}                                            then exits
"use strict";

const { io } = require("socket.io-client");
const { performance } = require("perf_hooks");
const readline = require("readline");

const [url, firstArg, countArg, officeArg] = process.argv.slice(2);
const first = Number(firstArg);
const count = Number(countArg);
const offices = officeArg.split(",");
const INFLIGHT = Number(process.env.INFLIGHT || 200); // connection attempts at once
const CONNECT_TIMEOUT_MS = 60000; // a connection not accepted by then counts as failed

// Sub-millisecond receive times on the wall clock ("at" is wall-clock ms).
const now = () => performance.timeOrigin + performance.now();

const BUCKET_MS = 0.1;
const MAX_MS = 30000;
let histogram = new Uint32Array(MAX_MS / BUCKET_MS + 1);
let recording = false;
let received = 0;
let overflow = 0;
let maxLatency = 0;
let disconnects = 0;
let bytes = 0;
// Per office: the distinct "at" values seen (the emits) and the deliveries.
const seen = new Map();
const deliveries = new Map();
const members = new Map();

function onStatus(payload) {
  if (!recording) return;
  const latency = now() - payload.at;
  received++;
  if (latency > maxLatency) maxLatency = latency;
  const bucket = Math.max(0, Math.round(latency / BUCKET_MS));
  if (bucket < histogram.length) histogram[bucket]++;
  else overflow++;
  let emits = seen.get(payload.id);
  if (!emits) seen.set(payload.id, (emits = new Set()));
  emits.add(payload.at);
  deliveries.set(payload.id, (deliveries.get(payload.id) || 0) + 1);
  if (received === 1) bytes = JSON.stringify(payload).length;
}

// This process's own delay: how late a 10 ms timer fires while recording. A
// latency no larger than this says more about the load generator than the server.
const LAG_TICK_MS = 10;
const lags = [];
let lagTimer = null;
function watchLag() {
  let expected = now() + LAG_TICK_MS;
  lagTimer = setInterval(() => {
    const t = now();
    lags.push(Math.max(0, t - expected));
    expected = t + LAG_TICK_MS;
  }, LAG_TICK_MS);
}

const sockets = [];
let connected = 0;
let failed = 0;
const started = now();

function connectOne(i) {
  return new Promise((resolve) => {
    const office = offices[(first + i) % offices.length];
    const socket = io(`${url}/public`, {
      transports: ["websocket"],
      auth: { offices: [office], lang: "de" },
      forceNew: true,
      reconnection: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      failed++;
      socket.close();
      resolve();
    }, CONNECT_TIMEOUT_MS);
    socket.on("connect", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connected++;
      members.set(office, (members.get(office) || 0) + 1);
      resolve();
    });
    socket.on("connect_error", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      failed++;
      socket.close();
      resolve();
    });
    socket.on("disconnect", () => {
      if (recording) disconnects++;
    });
    socket.on("office_status", onStatus);
    sockets.push(socket);
  });
}

async function connectAll() {
  let next = 0;
  async function lane() {
    while (next < count) await connectOne(next++);
  }
  await Promise.all(Array.from({ length: Math.min(INFLIGHT, count) }, lane));
  console.log(JSON.stringify({ ready: true, connected, failed, seconds: (now() - started) / 1000 }));
}

function result(seconds) {
  const buckets = {};
  histogram.forEach((n, i) => {
    if (n) buckets[i] = n;
  });
  const expected = [...seen.entries()].reduce((sum, [id, emits]) => sum + emits.size * (members.get(id) || 0), 0);
  const emits = [...seen.values()].reduce((sum, s) => sum + s.size, 0);
  lags.sort((a, b) => a - b);
  const lagAt = (p) => (lags.length ? lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] : null);
  return {
    seconds,
    loop_lag_ms: { p50: lagAt(50), p99: lagAt(99), max: lags.length ? lags[lags.length - 1] : null },
    received,
    expected,
    emits_seen: emits,
    overflow,
    max_ms: maxLatency,
    disconnects,
    payload_bytes: bytes,
    bucket_ms: BUCKET_MS,
    buckets,
    connected,
    memory_mb: process.memoryUsage().rss / 1e6,
  };
}

const input = readline.createInterface({ input: process.stdin });
input.on("line", (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === "go") {
    const seconds = Number(arg);
    recording = true;
    watchLag();
    setTimeout(() => {
      recording = false;
      clearInterval(lagTimer);
      console.log(JSON.stringify({ result: result(seconds) }));
      for (const s of sockets) s.close();
      setTimeout(() => process.exit(0), 200);
    }, seconds * 1000);
  } else if (command === "quit") {
    process.exit(0);
  }
});
input.on("close", () => process.exit(0));

connectAll();
