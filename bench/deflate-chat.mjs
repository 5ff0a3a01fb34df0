// permessage-deflate on a JSON chat workload: bytes on the wire and messages/s with and without
// compression, and the memory of idle compressed connections.
//
//   node bench/deflate-chat.mjs [--messages 20000] [--idle 2000]
//
// A krandog echo server runs in a child process (from dist/; run `node build.mjs` first) so that its
// CPU time per message can be read; the peers are `ws` clients, which offer permessage-deflate as
// browsers do (and whose own zlib work bounds the echoes/s column).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import http from '../dist/runtime/http.js';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '20000' }, idle: { type: 'string', default: '2000' }, serve: { type: 'string' } },
  allowPositionals: true,
});
const MESSAGES = Number(values.messages);
const IDLE = Number(values.idle);

/** A chat message as a JSON app would send it: small, repetitive keys, some free text. */
function chatMessage(i, size) {
  const text = 'the quick brown fox jumps over the lazy dog, again and again; '.repeat(Math.ceil(size / 60)).slice(0, size);
  return JSON.stringify({ type: 'message', room: 'general', user: { id: 1000 + (i % 50), name: `user${i % 50}` }, sentAt: 1764000000000 + i, text });
}

async function startServer(perMessageDeflate) {
  const server = http.createServer((req) => {
    if (req.type === 'websocket') req.ws.send(req.data);
    return undefined;
  }, { quiet: true, perMessageDeflate });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The echo server in a child process; `cpu()` asks it for its CPU time so far (µs). */
async function startServerProcess(perMessageDeflate) {
  const child = fork(new URL(import.meta.url), [`--serve=${JSON.stringify(perMessageDeflate ?? null)}`]);
  const [port] = await once(child, 'message');
  return {
    port,
    cpu: async () => {
      child.send('cpu');
      const [usage] = await once(child, 'message');
      return usage;
    },
    close: () => child.kill(),
  };
}

if (values.serve !== undefined) {
  const option = JSON.parse(values.serve);
  const server = await startServer(option === null ? undefined : option);
  process.send(server.port);
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send(user + system);
  });
  await new Promise(() => {});
}

async function run(label, serverDeflate, clientDeflate, textBytes) {
  const server = await startServerProcess(serverDeflate);
  const client = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: clientDeflate });
  await once(client, 'open');
  const cpuBefore = await server.cpu();
  const messages = Array.from({ length: 100 }, (_, i) => chatMessage(i, textBytes));
  let received = 0;
  const inFlight = 32;
  const started = process.hrtime.bigint();
  await new Promise((resolve) => {
    client.on('message', () => {
      received++;
      if (received === MESSAGES) resolve();
      else if (received + inFlight <= MESSAGES) client.send(messages[(received + inFlight) % 100]);
    });
    for (let i = 0; i < inFlight; i++) client.send(messages[i % 100]);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverMicros = (await server.cpu()) - cpuBefore;
  const socket = client._socket;
  const payloadBytes = messages.reduce((sum, m) => sum + Buffer.byteLength(m), 0) / messages.length;
  const row = {
    workload: label,
    'message (B)': Math.round(payloadBytes),
    extension: client.extensions || '(none)',
    'wire bytes/msg, client→server': (socket.bytesWritten / MESSAGES).toFixed(0),
    'wire bytes/msg, server→client': (socket.bytesRead / MESSAGES).toFixed(0),
    'server CPU µs/msg': (serverMicros / MESSAGES).toFixed(1),
    'echoes/s': Math.round(MESSAGES / seconds),
  };
  client.close();
  server.close();
  return row;
}

async function idleMemory(perMessageDeflate) {
  const server = await startServer(perMessageDeflate);
  const clients = [];
  global.gc?.();
  const before = process.memoryUsage();
  for (let i = 0; i < IDLE; i++) {
    const client = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: perMessageDeflate ? {} : false });
    clients.push(client);
    if (i % 100 === 99) await once(client, 'open');
  }
  await Promise.all(clients.map((client) => (client.readyState === 1 ? undefined : once(client, 'open'))));
  // Every connection exchanges one compressed message, then goes idle.
  const big = chatMessage(0, 4000);
  await Promise.all(clients.map((client) => { client.send(big); return once(client, 'message'); }));
  global.gc?.();
  const after = process.memoryUsage();
  for (const client of clients) client.terminate();
  await server.close();
  // Server and clients share this process: the figure is an upper bound for the server's share.
  return ((after.heapUsed + after.external - before.heapUsed - before.external) / IDLE / 1024).toFixed(2);
}

const rows = [];
for (const textBytes of [200, 2000, 20000]) {
  rows.push(await run('off', false, false, textBytes));
  rows.push(await run('on (default: ≥1 KiB)', undefined, { threshold: 1024 }, textBytes));
  rows.push(await run('on, every message', { threshold: 0 }, { threshold: 0 }, textBytes));
}
console.table(rows);
if (global.gc) {
  console.log(`JS heap + external per idle connection (server and ws clients in one process, after one 4 KB message each):`);
  console.log(`  without permessage-deflate: ${await idleMemory(false)} KiB`);
  console.log(`  with permessage-deflate:    ${await idleMemory(undefined)} KiB`);
} else {
  console.log('(run with node --expose-gc for the idle-memory figures)');
}
