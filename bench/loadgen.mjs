// The load generator: one process (pinned by the harness to its own core) that drives a WebSocket
// server over raw TCP sockets and prints one JSON line with what it measured.
//
//   node bench/loadgen.mjs '{"mode":"echo","port":1234,"serverPid":42,...}'
//
// Modes: echo (each connection keeps `inFlight` messages outstanding and sends one for every
// reply), broadcast (connection 0 publishes, every connection counts deliveries), idle (opens
// `connections` sockets and reports the server's RSS growth per connection), handshake
// (`connections` loops, each opening a connection, echoing one message, closing it, again).
// With `deflate`, text messages are chat-like text sent compressed (permessage-deflate).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatText, checkHandshakeResponse, compressPayload, encodeClientFrame, handshakeRequest, Opcode, ReplyCounter } from './wire.mjs';
import { cpuSeconds, rssBytes } from './proc.mjs';
import { LatencyHistogram } from './stats.mjs';

const DEFAULTS = {
  mode: 'echo',
  host: '127.0.0.1',
  port: 0,
  path: '/',
  connections: 50,
  inFlight: 16,
  payloadBytes: 64,
  binary: false,
  /** Offer permessage-deflate and send every message compressed (text only). */
  deflate: false,
  warmupMs: 2000,
  durationMs: 5000,
  settleMs: 2000,
  serverPid: 0,
  /** Handshakes in progress at once, so a server's listen backlog is never overrun. */
  connectConcurrency: 100,
};

const config = { ...DEFAULTS, ...JSON.parse(process.argv[2] ?? '{}') };
const PONG_HEADER = Buffer.from([0x80 | Opcode.Pong, 0x80, 0, 0, 0, 0]);

/** Totals shared by all connections; the measurement window is the difference of two snapshots. */
const totals = { messages: 0, bytes: 0, errors: 0, unexpectedCloses: 0 };
const latency = new LatencyHistogram();
let running = true;
const sockets = [];
/** Sockets we are closing ourselves; their close is not the server's doing. */
const closedByUs = new WeakSet();

// Closes with RST instead of FIN: no TIME_WAIT is left behind, so thousands of connections per run
// do not exhaust the loopback's ephemeral ports across runs.
function reset(socket) {
  closedByUs.add(socket);
  socket.resetAndDestroy();
}

/** Every connection's reply counter, to sum their wrong-length counts at the end. */
const counters = [];

function replyCounter(socket, expectedBytes) {
  const counter = new ReplyCounter(expectedBytes, controlHandler(socket));
  counters.push(counter);
  return counter;
}

/**
 * Every socket reads into this one buffer (net's `onread`): no Buffer per read and no stream
 * machinery, which keeps the load generator cheaper than the servers. Sharing is safe because a
 * read's callback runs to completion before the next read into the buffer; nothing keeps a view of it.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * Opens one socket and completes the client handshake. Resolves with `{ socket, rest, onData }`:
 * `rest` holds frame bytes that came with the 101; a driver sets `onData(chunk)` for later reads.
 */
function connect() {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const connection = { socket: null, rest: null, onData: null };
    const onRead = (bytes, buffer) => {
      if (connection.onData !== null) return void connection.onData(buffer.subarray(0, bytes));
      if (connection.rest !== null) {
        // Open, but no driver yet: keep the bytes for it.
        connection.rest = Buffer.concat([connection.rest, buffer.subarray(0, bytes)]);
        return;
      }
      head = Buffer.concat([head, buffer.subarray(0, bytes)]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      const problem = checkHandshakeResponse(head.subarray(0, end).toString('latin1'), { deflate: config.deflate });
      if (problem) return fail(new Error(`handshake: ${problem}`));
      socket.on('error', () => totals.errors++);
      socket.on('close', () => {
        if (running && !closedByUs.has(socket)) totals.unexpectedCloses++;
      });
      sockets.push(socket);
      connection.rest = head.subarray(end + 4);
      resolve(connection);
    };
    const socket = net.connect({ host: config.host, port: config.port, noDelay: true, onread: { buffer: READ_BUFFER, callback: onRead } });
    connection.socket = socket;
    const timer = setTimeout(() => fail(new Error('handshake timed out after 10 s')), 10_000);
    const fail = (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('connection closed during the handshake')));
    socket.write(handshakeRequest(config.host, config.port, config.path, { deflate: config.deflate }));
  });
}

/** Opens `count` connections, at most `connectConcurrency` handshakes at a time. */
async function connectMany(count) {
  const opened = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      opened[index] = await connect();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, config.connectConcurrency) }, worker));
  return opened;
}

/** Answers pings (a server's keepalive must not close our idle or busy connections). */
function controlHandler(socket) {
  return (opcode, payload) => {
    if (opcode === Opcode.Ping && payload.length <= 125) {
      const header = Buffer.from(PONG_HEADER);
      header[1] = 0x80 | payload.length;
      socket.write(Buffer.concat([header, payload])); // zero mask key: payload goes as is
    } else if (opcode === Opcode.Close && running && !closedByUs.has(socket)) {
      totals.unexpectedCloses++;
    }
  };
}

/**
 * `config.inFlight` message frames back to back, and where each ends, so that any number of
 * them can be written as one subarray. Uncompressed messages are all alike; compressed ones are
 * different chat texts (as a chat's would be), so that no server can reuse one compression.
 */
function frameBurst() {
  const opcode = config.binary ? Opcode.Binary : Opcode.Text;
  const frames = [];
  for (let i = 0; i < config.inFlight; i++) {
    if (!config.deflate) frames.push(encodeClientFrame(opcode, Buffer.alloc(config.payloadBytes, config.binary ? 0xa5 : 'x')));
    else frames.push(encodeClientFrame(opcode, compressPayload(chatText(config.payloadBytes, i)), { compressed: true }));
  }
  const ends = [0];
  for (const frame of frames) ends.push(ends.at(-1) + frame.length);
  return { burst: Buffer.concat(frames), ends };
}

/** Replies are checked for length, except compressed ones, whose wire length varies. */
const expectedReplyBytes = () => (config.deflate ? -1 : config.payloadBytes);

/** Each connection keeps `inFlight` messages outstanding; replies are counted and timed. */
function driveEcho(opened) {
  const { burst, ends } = frameBurst();
  for (const connection of opened) {
    const { socket, rest } = connection;
    const counter = replyCounter(socket, expectedReplyBytes());
    const sentAt = new Float64Array(config.inFlight);
    let head = 0;
    let tail = 0;
    let outstanding = 0;
    const send = (count, now) => {
      for (let i = 0; i < count; i++) {
        sentAt[tail] = now;
        tail = tail + 1 === sentAt.length ? 0 : tail + 1;
      }
      outstanding += count;
      socket.write(count === config.inFlight ? burst : burst.subarray(0, ends[count]));
    };
    const onData = (chunk) => {
      let replies = counter.push(chunk);
      if (replies === 0) return;
      if (replies > outstanding) replies = outstanding;
      const now = performance.now();
      outstanding -= replies;
      totals.messages += replies;
      totals.bytes += replies * config.payloadBytes;
      for (let i = 0; i < replies; i++) {
        latency.record((now - sentAt[head]) * 1000);
        head = head + 1 === sentAt.length ? 0 : head + 1;
      }
      if (running) send(replies, now);
    };
    connection.onData = onData;
    send(config.inFlight, performance.now());
    if (rest.length > 0) onData(rest);
  }
}

/** Connection 0 publishes; at most `inFlight` messages' worth of deliveries may be outstanding. */
function driveBroadcast(opened) {
  const { burst, ends } = frameBurst();
  const subscribers = opened.length;
  const sender = opened[0].socket;
  let published = 0;
  const publish = () => {
    if (!running) return;
    const outstanding = published * subscribers - totals.messages;
    const count = config.inFlight - Math.ceil(outstanding / subscribers);
    if (count <= 0) return;
    published += count;
    sender.write(count === config.inFlight ? burst : burst.subarray(0, ends[count]));
  };
  for (const connection of opened) {
    const { socket, rest } = connection;
    const counter = replyCounter(socket, expectedReplyBytes());
    const onData = (chunk) => {
      const deliveries = counter.push(chunk);
      if (deliveries === 0) return;
      totals.messages += deliveries;
      totals.bytes += deliveries * config.payloadBytes;
      publish();
    };
    connection.onData = onData;
    if (rest.length > 0) onData(rest);
  }
  publish();
}

function snapshot() {
  const usage = process.cpuUsage();
  return {
    time: performance.now(),
    messages: totals.messages,
    bytes: totals.bytes,
    selfCpu: (usage.user + usage.system) / 1e6,
    serverCpu: cpuSeconds(config.serverPid),
  };
}

async function measureThroughput(drive) {
  const opened = await connectMany(config.connections);
  // A server may register a connection just after sending its 101 (Deno's onopen, say); a
  // broadcast sent before then would miss it, so let the last handshakes settle first.
  await sleep(250);
  drive(opened);
  await sleep(config.warmupMs);
  const before = snapshot();
  latency.reset();
  await sleep(config.durationMs);
  const after = snapshot();
  running = false;
  const seconds = (after.time - before.time) / 1000;
  return {
    seconds,
    warmupMessages: before.messages,
    messages: after.messages - before.messages,
    messagesPerSecond: (after.messages - before.messages) / seconds,
    bytesPerSecond: (after.bytes - before.bytes) / seconds,
    serverCores: (after.serverCpu - before.serverCpu) / seconds,
    loadgenCores: (after.selfCpu - before.selfCpu) / seconds,
    p50Micros: latency.percentile(0.5),
    p99Micros: latency.percentile(0.99),
  };
}

const CLOSE_FRAME = encodeClientFrame(Opcode.Close, Buffer.from([0x03, 0xe8])); // 1000, normal closure
/** Why the first failed handshake-loop connection failed: the run's error if none succeeded. */
let firstCycleError = null;

/**
 * One short-lived connection: TCP connect, upgrade, one echoed message, the close handshake
 * (our Close, the server's answer), then RST (no TIME_WAIT, see `reset`). Resolves true when it
 * went through, false (counted as an error) otherwise.
 */
function connectionCycle(frame) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let head = Buffer.alloc(0);
    let counter = null;
    let finished = false;
    const finish = (problem) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (problem) {
        totals.errors++;
        firstCycleError ??= problem;
      } else {
        totals.messages++;
        latency.record((performance.now() - startedAt) * 1000);
      }
      reset(socket);
      resolve(!problem);
    };
    const onControl = (opcode) => {
      if (opcode === Opcode.Close) finish(null);
    };
    const onRead = (bytes, buffer) => {
      const chunk = buffer.subarray(0, bytes);
      if (counter !== null) {
        if (counter.push(chunk) > 0) socket.write(CLOSE_FRAME);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      const problem = checkHandshakeResponse(head.subarray(0, end).toString('latin1'));
      if (problem) return finish(`handshake: ${problem}`);
      counter = new ReplyCounter(config.payloadBytes, onControl);
      counters.push(counter);
      socket.write(frame);
      if (head.length > end + 4 && counter.push(head.subarray(end + 4)) > 0) socket.write(CLOSE_FRAME);
    };
    const socket = net.connect({ host: config.host, port: config.port, noDelay: true, onread: { buffer: READ_BUFFER, callback: onRead } });
    const timer = setTimeout(() => finish('connection cycle timed out after 10 s'), 10_000);
    socket.on('error', (error) => finish(error.message));
    socket.on('close', () => {
      if (!finished) totals.unexpectedCloses++;
      finish('connection closed before the close handshake');
    });
    socket.write(handshakeRequest(config.host, config.port, config.path));
  });
}

/** Handshakes per second: `connections` loops of `connectionCycle`, none waiting for another. */
async function measureHandshakes() {
  const frame = encodeClientFrame(Opcode.Text, Buffer.alloc(config.payloadBytes, 'x'));
  const loops = Array.from({ length: config.connections }, async () => {
    while (running) await connectionCycle(frame);
  });
  await sleep(config.warmupMs);
  const before = snapshot();
  latency.reset();
  await sleep(config.durationMs);
  const after = snapshot();
  running = false;
  await Promise.all(loops);
  if (after.messages === 0 && firstCycleError) throw new Error(firstCycleError);
  const seconds = (after.time - before.time) / 1000;
  return {
    seconds,
    warmupMessages: before.messages,
    messages: after.messages - before.messages,
    handshakesPerSecond: (after.messages - before.messages) / seconds,
    serverCores: (after.serverCpu - before.serverCpu) / seconds,
    loadgenCores: (after.selfCpu - before.selfCpu) / seconds,
    p50Micros: latency.percentile(0.5),
    p99Micros: latency.percentile(0.99),
  };
}

/** Server RSS growth per open, idle WebSocket connection. */
async function measureIdleMemory() {
  // Warm-up: the server's first connections load code and grow its heap; that is not per-connection cost.
  const warm = await connectMany(Math.min(200, config.connections));
  for (const { socket } of warm) reset(socket);
  sockets.length = 0;
  await sleep(config.settleMs / 2);
  const before = rssBytes(config.serverPid);
  const opened = await connectMany(config.connections);
  for (const connection of opened) {
    const counter = replyCounter(connection.socket, -1);
    connection.onData = (chunk) => counter.push(chunk);
    if (connection.rest.length > 0) counter.push(connection.rest);
  }
  await sleep(config.settleMs);
  const after = rssBytes(config.serverPid);
  running = false;
  return { connections: opened.length, rssBefore: before, rssAfter: after, bytesPerConnection: (after - before) / opened.length };
}

async function main() {
  const watchdog = setTimeout(() => finish({ error: 'load generator timed out' }), config.warmupMs + config.durationMs + 120_000);
  watchdog.unref();
  try {
    let result;
    if (config.mode === 'echo') result = await measureThroughput(driveEcho);
    else if (config.mode === 'broadcast') result = await measureThroughput(driveBroadcast);
    else if (config.mode === 'idle') result = await measureIdleMemory();
    else if (config.mode === 'handshake') result = await measureHandshakes();
    else throw new Error(`unknown mode ${config.mode}`);
    finish({ ...result, errors: totals.errors, unexpectedCloses: totals.unexpectedCloses, wrongLength: counters.reduce((sum, counter) => sum + counter.wrongLength, 0), compressedReplies: counters.reduce((sum, counter) => sum + counter.compressed, 0) });
  } catch (error) {
    finish({ error: error.message });
  }
}

function finish(result) {
  running = false;
  for (const socket of sockets) reset(socket);
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

await main();
