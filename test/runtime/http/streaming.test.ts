// Streamed response bodies: 50 MiB with flat server memory, backpressure against a client that does
// not read, and cancellation when the client leaves (fixture: streaming.js).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { rawRequest } from '../../helpers/raw-http.ts';

const MiB = 1024 * 1024;
// Live memory the server may add while streaming 50 MiB. Without backpressure the whole body is
// queued in the socket, so growth is ≥ 50 MiB; with it, only a few socket buffers are in flight.
const FLAT_MEMORY_BYTES = 16 * MiB;

let server: RunningKrandogServer;
beforeAll(async () => {
  // --expose-gc lets the fixture measure live memory rather than garbage not yet collected.
  server = await startKrandogServer(fixture('streaming.js'), [], { NODE_OPTIONS: '--expose-gc' });
});
afterAll(() => server.stop());

interface Stats {
  chunks: number;
  produced: number;
  peakRssGrowth: number;
  peakArrayBuffersGrowth: number;
  finished: boolean;
  stopped: boolean;
}

async function stats(): Promise<Stats> {
  return (await fetch(server.url + '/stats')).json();
}

/** Reads a whole response body, counting bytes and checking each 64 KiB chunk's fill byte. */
async function readAll(response: Response): Promise<number> {
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    for (let i = 0; i < chunk.length; i += 4096) {
      const offset = total + i;
      expect(chunk[i]).toBe(Math.floor(offset / (64 * 1024)) % 251);
    }
    total += chunk.length;
  }
  return total;
}

describe.each(['/generator', '/readable-stream', '/response-stream'])('streaming 50 MiB from %s', (route) => {
  it('delivers every byte in order with flat server memory', async () => {
    const response = await fetch(`${server.url}${route}?mib=50`);
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(await readAll(response)).toBe(50 * MiB);
    const figures = await stats();
    expect(figures.finished).toBe(true);
    expect(figures.produced).toBe(800);
    expect(figures.peakArrayBuffersGrowth).toBeLessThan(FLAT_MEMORY_BYTES);
    expect(figures.peakRssGrowth).toBeLessThan(FLAT_MEMORY_BYTES);
  });
});

describe('backpressure', () => {
  it('stops pulling chunks while the client does not read, and resumes when it does', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    socket.pause();
    socket.write(rawRequest('GET', '/generator?mib=50'));
    // Wait until production stalls: two readings 200 ms apart give the same count.
    let produced = -1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = (await stats()).produced;
      if (now === produced && now > 0) break;
      produced = now;
    }
    // Stalled after filling the socket buffers: far less than the 800 chunks of the body.
    expect(produced * 64 * 1024).toBeLessThan(FLAT_MEMORY_BYTES);
    // Reading again lets the stream finish: count bytes up to the last chunk (`0\r\n\r\n`).
    let received = 0;
    let tail = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        tail = (tail + chunk.subarray(-5).toString('latin1')).slice(-5);
        if (tail === '0\r\n\r\n') resolve();
      });
      socket.resume();
    });
    expect(received).toBeGreaterThan(50 * MiB);
    expect((await stats()).finished).toBe(true);
    socket.destroy();
  });

  it.each(['/generator', '/readable-stream'])('stops the source of %s when the client goes away', async (route) => {
    const response = await fetch(`${server.url}${route}?mib=50`);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    let figures = await stats();
    while (!figures.stopped) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      figures = await stats();
    }
    expect(figures.finished).toBe(false);
    expect(figures.produced).toBeLessThan(800);
  });

  it('stops a stream an async handler returns after its client already left', async () => {
    const aborter = new AbortController();
    const request = fetch(`${server.url}/late-stream?mib=50&wait=300`, { signal: aborter.signal }).catch(() => 'aborted');
    await server.waitForOutput(/late stream requested\n/);
    aborter.abort();
    expect(await request).toBe('aborted');
    let figures = await stats();
    while (!figures.stopped) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      figures = await stats();
    }
    expect(figures.produced).toBe(0);
  });
});
