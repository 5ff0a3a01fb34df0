// The soak's load generator (bench/soak.mjs starts it): many healthy WebSocket clients sending a
// steady trickle of messages to an echo server, plus a steady population of hostile ones, each
// slot reconnecting as soon as its last connection ended:
//   vanish     opens, sends a little, then drops TCP without a close frame (half RST, half FIN)
//   garbage    sends bytes no server may accept: after the handshake, or instead of it
//   slowloris  opens TCP and sends a header line every 5 s, never finishing the handshake
//   slow       stops reading and keeps sending 64 KiB messages for the server to echo
// Prints one JSON line: healthy messages sent, received, lost and their latency; healthy clients
// dropped; what each hostile kind did and how the server ended it.
//
//   node bench/soak-load.mjs '{"port":1234,"connections":10000,"durationMs":180000,...}'
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from './stats.mjs';
import { checkHandshakeResponse, encodeClientFrame, handshakeRequest, Opcode, ReplyCounter } from './wire.mjs';
import { SOAK_DEFAULTS } from './soak-defaults.mjs';


const SLOW_MESSAGE_BYTES = 64 * 1024;
const RING = 1024;

const config = { ...SOAK_DEFAULTS, ...JSON.parse(process.argv[2] ?? '{}') };
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const HEALTHY_FRAME = encodeClientFrame(Opcode.Text, Buffer.alloc(config.payloadBytes, 'h'));
const PING_FRAME = encodeClientFrame(Opcode.Ping, Buffer.alloc(0));
const PONG_HEADER = Buffer.from([0x80 | Opcode.Pong, 0x80, 0, 0, 0, 0]);

const latency = new LatencyHistogram(2_000_000);
/** Hostile loops and healthy sends go on while this holds. */
let running = true;
/** Set once the healthy clients have had their drain time: closes after it are ours. */
let finished = false;
const hostileSockets = new Set();
const hostile = {
  vanish: { cycles: 0, refused: 0 },
  garbage: { cycles: 0, refused: 0, closedByServer: 0, unanswered: 0 },
  slowloris: { cycles: 0, closedByServer: 0, lifetimesMs: [] },
  slow: { cycles: 0, refused: 0, closedByServer: 0, lifetimesMs: [], bytesSentBeforeClose: [] },
};

/** Opens a WebSocket over raw TCP; resolves `{ socket, rest }` after a valid 101, rejects otherwise. */
function openWebSocket({ onread } = {}) {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const options = { host: config.host, port: config.port, noDelay: true };
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      clearTimeout(timer);
      socket.removeListener('close', onEarlyClose);
      const problem = checkHandshakeResponse(head.subarray(0, end).toString('latin1'));
      if (problem) {
        socket.destroy();
        return reject(new Error(problem));
      }
      resolve({ socket, rest: head.subarray(end + 4), connection });
    };
    const connection = { onData: null };
    if (onread) {
      options.onread = {
        buffer: READ_BUFFER,
        callback: (bytes, buffer) => (connection.onData ? connection.onData(buffer.subarray(0, bytes)) : onHead(Buffer.from(buffer.subarray(0, bytes)))),
      };
    }
    const socket = net.connect(options);
    if (!onread) {
      socket.on('data', (chunk) => (connection.onData ? connection.onData(chunk) : onHead(chunk)));
    }
    socket.on('error', () => {});
    const onEarlyClose = () => {
      clearTimeout(timer);
      reject(new Error('closed during the handshake'));
    };
    socket.once('close', onEarlyClose);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('handshake timed out'));
    }, 30_000);
    socket.write(handshakeRequest(config.host, config.port, '/'));
  });
}

function answerPings(socket) {
  return (opcode, payload) => {
    if (opcode !== Opcode.Ping || payload.length > 125) return;
    const header = Buffer.from(PONG_HEADER);
    header[1] = 0x80 | payload.length;
    socket.write(Buffer.concat([header, payload]));
  };
}

// ---------------------------------------------------------------------------------------------
// Healthy clients

/** A client that sends on schedule and matches each echo to its send (TCP keeps them in order). */
class HealthyClient {
  sent = 0;
  received = 0;
  dropped = null;
  #sentAt = new Float64Array(RING);
  #socket;
  #counter;

  constructor({ socket, rest, connection }) {
    this.#socket = socket;
    this.#counter = new ReplyCounter(config.payloadBytes, (opcode, payload) => {
      if (opcode === Opcode.Close && this.dropped === null) this.dropped = `close ${payload.length >= 2 ? payload.readUInt16BE(0) : 1005}`;
      answerPings(socket)(opcode, payload);
    });
    connection.onData = (chunk) => this.#onData(chunk);
    socket.once('close', () => {
      if (this.dropped === null && !finished) this.dropped = 'connection closed';
    });
    if (rest.length > 0) this.#onData(rest);
  }

  get wrongLength() {
    return this.#counter.wrongLength;
  }

  send(now) {
    if (this.dropped !== null) return;
    this.#sentAt[this.sent % RING] = now;
    this.sent++;
    this.#socket.write(HEALTHY_FRAME);
  }

  #onData(chunk) {
    const replies = this.#counter.push(chunk);
    if (replies === 0) return;
    const now = performance.now();
    for (let i = 0; i < replies; i++) {
      latency.record((now - this.#sentAt[this.received % RING]) * 1000);
      this.received++;
    }
  }

  destroy() {
    this.#socket.resetAndDestroy();
  }
}

async function connectHealthy(count) {
  const clients = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      clients.push(new HealthyClient(await openWebSocket({ onread: true })));
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, config.connectConcurrency) }, worker));
  return clients;
}

/** Every tick sends for one slice of the clients, so that each sends once per interval. */
function scheduleSends(clients) {
  const TICK_MS = 10;
  const slices = Math.max(1, Math.round(config.messageIntervalMs / TICK_MS));
  let tick = 0;
  return setInterval(() => {
    const now = performance.now();
    const slice = tick++ % slices;
    for (let i = slice; i < clients.length; i += slices) clients[i].send(now);
  }, TICK_MS);
}

// ---------------------------------------------------------------------------------------------
// Hostile clients: each loop is one slot that keeps one such client alive until the run ends.

const between = (low, high) => low + Math.random() * (high - low);

function track(socket) {
  hostileSockets.add(socket);
  socket.once('close', () => hostileSockets.delete(socket));
  return socket;
}

/** Resolves 'server' when the server ends the connection, 'timeout' after `ms`, 'stopped' at the end of the run. */
function endOf(socket, ms) {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve('server');
    const done = (how) => {
      clearTimeout(timer);
      clearInterval(stop);
      resolve(how);
    };
    const timer = setTimeout(done, ms, 'timeout');
    const stop = setInterval(() => running || done('stopped'), 250);
    // Once the run is over, we close what is left ourselves.
    const ended = () => done(running ? 'server' : 'stopped');
    socket.once('close', ended);
    socket.once('end', ended);
  });
}

async function vanishLoop() {
  while (running) {
    try {
      const { socket } = await openWebSocket();
      track(socket);
      socket.write(HEALTHY_FRAME);
      await sleep(between(1000, 5000));
      if (hostile.vanish.cycles % 2 === 0) socket.resetAndDestroy();
      else socket.destroy();
      hostile.vanish.cycles++;
    } catch {
      hostile.vanish.refused++;
    }
    await sleep(between(100, 500));
  }
}

async function garbageLoop(slot) {
  while (running) {
    const beforeHandshake = slot % 2 === 0;
    try {
      let socket;
      if (beforeHandshake) {
        socket = track(net.connect({ host: config.host, port: config.port }));
        socket.on('error', () => {});
        socket.on('data', () => {});
        socket.write(Buffer.concat([randomBytes(48), Buffer.from('\r\n\r\n')]));
      } else {
        ({ socket } = await openWebSocket());
        track(socket);
        // RSV bits set: no server without extensions may accept this frame (RFC 6455 §5.2).
        socket.write(Buffer.concat([Buffer.from([0xf0 | (slot & 0x0f), 0x80 | 40]), randomBytes(44)]));
      }
      const how = await endOf(socket, 30_000);
      if (how === 'server') hostile.garbage.closedByServer++;
      else if (how === 'timeout') hostile.garbage.unanswered++;
      socket.destroy();
      hostile.garbage.cycles++;
    } catch {
      hostile.garbage.refused++;
    }
    await sleep(between(500, 1500));
  }
}

async function slowlorisLoop() {
  while (running) {
    const socket = track(net.connect({ host: config.host, port: config.port }));
    socket.on('error', () => {});
    socket.on('data', () => {});
    const openedAt = performance.now();
    socket.write(`GET / HTTP/1.1\r\nHost: ${config.host}:${config.port}\r\nUpgrade: websocket\r\n`);
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 5000);
    const how = await endOf(socket, 10 * 60_000);
    clearInterval(drip);
    if (how === 'server') {
      hostile.slowloris.closedByServer++;
      hostile.slowloris.lifetimesMs.push(performance.now() - openedAt);
    }
    socket.destroy();
    hostile.slowloris.cycles++;
    await sleep(between(100, 500));
  }
}

async function slowConsumerLoop() {
  const message = encodeClientFrame(Opcode.Binary, randomBytes(SLOW_MESSAGE_BYTES));
  while (running) {
    try {
      const { socket } = await openWebSocket();
      track(socket);
      socket.pause(); // never reads again
      const openedAt = performance.now();
      let sentBytes = 0;
      // 640 KB/s until the cap; then a ping now and then, which fails once the server has dropped us.
      const pump = setInterval(() => {
        if (sentBytes < config.slowConsumerBytes) {
          socket.write(message);
          sentBytes += SLOW_MESSAGE_BYTES;
        } else {
          socket.write(PING_FRAME);
        }
      }, 100);
      const how = await endOf(socket, 60 * 60_000);
      clearInterval(pump);
      if (how === 'server') {
        hostile.slow.closedByServer++;
        hostile.slow.lifetimesMs.push(performance.now() - openedAt);
        hostile.slow.bytesSentBeforeClose.push(sentBytes);
      }
      socket.destroy();
      hostile.slow.cycles++;
    } catch {
      hostile.slow.refused++;
    }
    await sleep(1000);
  }
}

// ---------------------------------------------------------------------------------------------

function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function main() {
  const counts = Object.fromEntries(['vanish', 'garbage', 'slowloris', 'slow'].map((kind) => [kind, Math.round(config.connections * config[kind])]));
  const healthyCount = config.connections - Object.values(counts).reduce((sum, count) => sum + count, 0);
  const connectStart = performance.now();
  const clients = await connectHealthy(healthyCount);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  process.stderr.write(`soak-load: ${clients.length} healthy clients connected in ${connectSeconds.toFixed(1)} s; load running\n`);

  const loops = [
    ...Array.from({ length: counts.vanish }, () => vanishLoop()),
    ...Array.from({ length: counts.garbage }, (_, slot) => garbageLoop(slot)),
    ...Array.from({ length: counts.slowloris }, () => slowlorisLoop()),
    ...Array.from({ length: counts.slow }, () => slowConsumerLoop()),
  ];
  const sender = scheduleSends(clients);
  await sleep(config.durationMs);
  running = false;
  clearInterval(sender);

  // Give healthy clients time for their last echoes; whatever has not come back by then is lost.
  const drainStart = performance.now();
  while (performance.now() - drainStart < config.drainMs && clients.some((client) => client.dropped === null && client.received < client.sent)) await sleep(100);
  finished = true;
  for (const socket of hostileSockets) socket.destroy();
  await Promise.race([Promise.all(loops), sleep(2000)]);

  const sent = clients.reduce((sum, client) => sum + client.sent, 0);
  const received = clients.reduce((sum, client) => sum + client.received, 0);
  const dropped = clients.filter((client) => client.dropped !== null);
  const result = {
    healthy: clients.length,
    hostileSlots: counts,
    connectSeconds,
    sent,
    received,
    lost: sent - received,
    wrongLength: clients.reduce((sum, client) => sum + client.wrongLength, 0),
    p50Micros: latency.percentile(0.5),
    p99Micros: latency.percentile(0.99),
    maxMicros: latency.percentile(1),
    dropped: dropped.length,
    droppedReasons: [...new Set(dropped.map((client) => client.dropped))].slice(0, 5),
    hostile: {
      vanish: hostile.vanish,
      garbage: hostile.garbage,
      slowloris: { cycles: hostile.slowloris.cycles, closedByServer: hostile.slowloris.closedByServer, medianLifetimeMs: median(hostile.slowloris.lifetimesMs) },
      slow: {
        cycles: hostile.slow.cycles,
        refused: hostile.slow.refused,
        closedByServer: hostile.slow.closedByServer,
        medianLifetimeMs: median(hostile.slow.lifetimesMs),
        medianBytesSentBeforeClose: median(hostile.slow.bytesSentBeforeClose),
      },
    },
  };
  for (const client of clients) client.destroy();
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

await main();
