// Property test (fast-check) of request-body reading over real sockets: bodies of any size around
// maxBodySize, sent chunked (chunk sizes 1 byte to 64 KiB) or with a Content-Length, cut into TCP
// writes of any size. The handler gets exactly the bytes sent; a body past the limit gets 413.
// Short runs by default; FC_NUM_RUNS raises them for a long campaign, FC_SEED replays one.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawHttpConnection } from '../helpers/raw-http.ts';
import type { HttpRequest } from '../../runtime/http/request.ts';
import { startInProcessServer, stopServers } from '../helpers/ws-server.ts';
import { within } from '../helpers/within.ts';

const DEFAULT_NUM_RUNS = 25;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? DEFAULT_NUM_RUNS);
const TIMEOUT = NUM_RUNS > DEFAULT_NUM_RUNS ? 7 * 24 * 3600_000 : 120_000;
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const LIMIT = 256 * 1024;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let port: number;
beforeAll(async () => {
  const handler = (req: HttpRequest) => ({ body: `${req.bytes.length} ${sha256(req.bytes)}` });
  ({ port } = await startInProcessServer(handler, { maxBodySize: LIMIT }));
});
afterAll(stopServers);

/** `size` bytes that differ from run to run (a cheap generator: fast-check only picks the seed). */
function bodyOf(size: number, seed: number): Buffer {
  const body = Buffer.allocUnsafe(size);
  let state = seed | 1;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1103515245) + 12345) | 0;
    body[i] = state >>> 24;
  }
  return body;
}

/** The body in chunked encoding, its chunk sizes taken from `sizes` in turn. */
function chunked(body: Buffer, sizes: number[]): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0, i = 0; offset < body.length; i++) {
    const size = Math.min(sizes[i % sizes.length], body.length - offset);
    parts.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(offset, offset + size), Buffer.from('\r\n'));
    offset += size;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const chunkSize = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 * 1024 }));
const bodySize = fc.oneof(
  fc.integer({ min: 0, max: LIMIT + 64 * 1024 }),
  fc.constantFrom(0, 1, LIMIT - 1, LIMIT, LIMIT + 1),
  // Small bodies, so that 1-byte chunks are tried on whole bodies often.
  fc.integer({ min: 0, max: 4096 }),
);
const upload = fc.record({
  size: bodySize,
  seed: fc.integer(),
  framing: fc.constantFrom('chunked', 'content-length'),
  chunkSizes: fc.array(chunkSize, { minLength: 1, maxLength: 6 }),
  writeSize: fc.oneof(fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 256 * 1024 })),
});

describe('properties: request bodies', () => {
  it('the handler gets exactly the bytes sent, however they are chunked and written; past maxBodySize, 413', async () => {
    await fc.assert(
      fc.asyncProperty(upload, async ({ size, seed, framing, chunkSizes, writeSize }) => {
        const body = bodyOf(size, seed);
        const head =
          'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          (framing === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${size}\r\n`) +
          '\r\n';
        const wire = Buffer.concat([Buffer.from(head), framing === 'chunked' ? chunked(body, chunkSizes) : body]);
        const connection = await RawHttpConnection.connect(port);
        try {
          // Bigger TCP writes than a few KiB are cut by the kernel anyway; small ones test the parser's seams.
          for (let offset = 0; offset < wire.length && !connection.ended; offset += writeSize) connection.write(wire.subarray(offset, offset + writeSize));
          const response = await within(connection.readResponse(), 30_000, `no response to a ${size}-byte ${framing} body`);
          if (size > LIMIT) {
            expect(response.status).toBe(413);
            expect(response.headers.get('connection')).toEqual(['close']);
          } else {
            expect(response.status).toBe(200);
            expect(response.body.toString()).toBe(`${size} ${sha256(body)}`);
          }
        } finally {
          connection.close();
        }
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  }, TIMEOUT);
});
