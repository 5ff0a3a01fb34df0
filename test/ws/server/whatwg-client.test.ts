// End to end against Node's own WHATWG WebSocket client (undici), run in a child process
// (`node --experimental-websocket` on Node 20, where the global is not on by default).
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import { startServer, stopServers, within } from './harness.ts';

afterEach(stopServers);

const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 * 1024 * 1024];

// The client: offers two subprotocols, sends text and binary of every size, checks every echo
// itself, then asks the server to close and reports what it saw as one JSON line.
const CLIENT = `
const [url, sizesJson] = process.argv.slice(1);
const sizes = JSON.parse(sizesJson);
const pattern = (size) => { const bytes = new Uint8Array(size); for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) & 255; return bytes; };
const texts = sizes.map((size) => 'é'.repeat(size >> 1) + 'a'.repeat(size & 1));
const expected = [];
for (let i = 0; i < sizes.length; i++) expected.push(['text', texts[i]], ['binary', pattern(sizes[i])]);
const report = { protocol: null, extensions: null, echoes: [], mismatches: 0, close: null };
const ws = new WebSocket(url, ['chat.v2', 'chat.v1']);
ws.binaryType = 'arraybuffer';
ws.onopen = () => {
  report.protocol = ws.protocol;
  report.extensions = ws.extensions;
  for (const [kind, data] of expected) ws.send(data);
};
ws.onmessage = (event) => {
  const [kind, data] = expected[report.echoes.length];
  const got = typeof event.data === 'string' ? 'text' : 'binary';
  const same = got === kind && (kind === 'text' ? event.data === data : Buffer.from(event.data).equals(Buffer.from(data)));
  if (!same) report.mismatches++;
  report.echoes.push(got + ':' + (kind === 'text' ? Buffer.byteLength(event.data) : event.data.byteLength));
  if (report.echoes.length === expected.length) ws.send('please close');
};
ws.onerror = (event) => { report.error = String(event.message ?? event.type); };
ws.onclose = (event) => {
  report.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
  console.log(JSON.stringify(report));
};
`;

function runClient(url: string): Promise<Record<string, unknown>> {
  const flags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function' ? [] : ['--experimental-websocket'];
  const child = spawn(process.execPath, [...flags, '--no-warnings', '-e', CLIENT, url, JSON.stringify(SIZES)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return within(
    new Promise((resolve, reject) =>
      child.on('close', (status) => {
        if (status !== 0 || stdout.trim() === '') reject(new Error(`client exited ${status}: ${stderr}`));
        else resolve(JSON.parse(stdout));
      }),
    ),
    60_000,
    'WHATWG client did not finish',
  ).finally(() => child.kill());
}

describe("Node's WHATWG WebSocket client", () => {
  it('negotiates a subprotocol, echoes text and binary from 0 B to 16 MiB, and closes cleanly with the server’s code', async () => {
    const { url } = await startServer(
      {
        websocket: {
          message(ws: ServerWebSocket, data: string | Buffer) {
            if (data === 'please close') ws.close(4000, 'bye');
            else ws.send(data);
          },
        },
      },
      { protocols: ['chat.v1', 'chat.v2'], perMessageDeflate: true },
    );
    const report = await runClient(`${url}/whatwg`);
    const expectedEchoes = SIZES.flatMap((size) => [`text:${size}`, `binary:${size}`]);
    expect(report).toEqual({
      protocol: 'chat.v2',
      // Node's client offers permessage-deflate; the server agrees when it is turned on (issue 6).
      extensions: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      echoes: expectedEchoes,
      mismatches: 0,
      close: { code: 4000, reason: 'bye', wasClean: true },
    });
  });
});
