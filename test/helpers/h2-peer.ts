// A WebSocket peer over HTTP/2 (RFC 8441) made of Node's own http2 client: extended CONNECT
// streams that carry masked frames (frames.ts) one way and are read back unmasked.
import { once } from 'node:events';
import type http2 from 'node:http2';
import { buildFrame, OP } from './frames.ts';
import { within } from './within.ts';

/** Reads server frames (unmasked) off a stream. */
export class FrameReader {
  #buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  ended = false;
  constructor(stream: http2.ClientHttp2Stream) {
    stream.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    stream.on('end', () => {
      this.ended = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }
  async next(): Promise<{ opcode: number; fin: boolean; rsv1: boolean; payload: Buffer }> {
    for (;;) {
      const frame = this.#take();
      if (frame !== undefined) return frame;
      if (this.ended) throw new Error('stream ended');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
  #take(): { opcode: number; fin: boolean; rsv1: boolean; payload: Buffer } | undefined {
    const b = this.#buffer;
    if (b.length < 2) return undefined;
    let length = b[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b.length < offset + length) return undefined;
    this.#buffer = b.subarray(offset + length);
    return { opcode: b[0] & 0x0f, fin: (b[0] & 0x80) !== 0, rsv1: (b[0] & 0x40) !== 0, payload: b.subarray(offset, offset + length) };
  }
}

/** An extended CONNECT (RFC 8441) for a WebSocket on `session`; resolves with the response headers. */
export async function openWebSocket(session: http2.ClientHttp2Session, extra: http2.OutgoingHttpHeaders = {}) {
  const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/chat?room=1', 'sec-websocket-version': '13', ...extra });
  const reader = new FrameReader(stream);
  const [headers] = (await within(once(stream, 'response'), 5_000, 'CONNECT response')) as [http2.IncomingHttpHeaders];
  return { stream, reader, headers };
}

/** A masked text (or `opcode`) frame, as a client sends it. */
export const text = (payload: string, fin = true, opcode: number = OP.text) => buildFrame({ opcode, payload, fin, mask: true });
