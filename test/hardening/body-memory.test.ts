// Memory for request bodies, in a ./krandog child process: four concurrent 512 KiB chunked bodies in
// 1-byte chunks (3 MiB of chunk framing each) must cost the server a small multiple of their size.
// Kept in Node's chunks, bodies took ~400 bytes of peak RSS per body byte (4 × 1 MiB: ~50 MB to
// 1.7 GB); the bound, 50 bytes per body byte, stays well below that and well above what they cost now.
import { afterEach, describe, expect, it } from 'vitest';
import { startKrandogServer, type RunningKrandogServer } from '../helpers/krandog-server.ts';
import { RawHttpConnection, rawRequest } from '../helpers/raw-http.ts';
import { within } from '../helpers/within.ts';

const MiB = 1024 * 1024;
const runs: RunningKrandogServer[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((run) => run.stop()));
});

async function get(port: number, path: string): Promise<string> {
  const connection = await RawHttpConnection.connect(port);
  connection.write(rawRequest('GET', path));
  const response = await connection.readResponse();
  connection.close();
  return response.body.toString();
}

/** POSTs `wire` (a whole chunked body) on a fresh connection; resolves with the response body. */
async function upload(port: number, wire: Buffer): Promise<string> {
  const connection = await RawHttpConnection.connect(port);
  connection.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n');
  connection.write(wire);
  const response = await connection.readResponse();
  connection.close();
  return `${response.status} ${response.body.toString()}`;
}

describe('request body memory', () => {
  it('four 512 KiB bodies in 1-byte chunks at once: peak RSS stays within 100 MB of the idle server', async () => {
    const run = await startKrandogServer('test/fixtures/hardening/body-memory.js');
    runs.push(run);
    const chunk = Buffer.from('1\r\nx\r\n');
    const size = MiB / 2;
    const wire = Buffer.concat([Buffer.concat(Array.from({ length: size }, () => chunk)), Buffer.from('0\r\n\r\n')]);
    const before = Number(await get(run.port, '/rss'));
    const answers = await within(Promise.all([1, 2, 3, 4].map(() => upload(run.port, wire))), 200_000, 'the uploads did not finish');
    const after = Number(await get(run.port, '/rss'));
    // 'x' is 120: the handler's sum of `size` of them, modulo 65521.
    expect(answers).toEqual(Array(4).fill(`200 ${size} ${(size * 120) % 65521}`));
    console.info(`request body memory: peak RSS ${(before / MiB).toFixed(0)} MB idle, ${(after / MiB).toFixed(0)} MB after 4 x 512 KiB in 1-byte chunks`);
    expect(after - before).toBeLessThan(100 * MiB);
  }, 240_000);
});
