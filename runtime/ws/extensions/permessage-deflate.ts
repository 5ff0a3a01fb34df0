import zlib, { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DeflateOptions as PublicDeflateOptions } from 'node:http';
import { CloseCode } from '../protocol/constants.ts';
import { type ExtensionOffer, formatExtension } from './extension-header.ts';
import { ProtocolError } from '../protocol/errors.ts';
import type { MessageCompressor } from '../protocol/compressor.ts';
import { isSupported as canKeepStreams, OutputTooLargeError, RawZlibStream } from './zlib-engine.ts';

// permessage-deflate (RFC 7692), built for memory: krandog compresses every message on its own (no
// context takeover), which any peer can decode whatever it agreed to, and holds no zlib state per
// connection: one zlib stream per configuration in the process, reset after each message, serves
// every connection (synchronous calls, which also keep message order with no queue). The server
// asks its peers to do the same (§7.1.1 lets it add both *_no_context_takeover parameters unasked),
// so an idle server connection costs nothing extra. The client offers what browsers offer; only a
// server that keeps its context (takes it over) gets an inflate stream of its own connection, kept
// between messages.

export const EXTENSION_NAME = 'permessage-deflate';

/** One zlib stream shared by every connection of a configuration; replaced when bad data broke it. */
class SharedStream {
  readonly #kind: 'deflate' | 'inflate';
  readonly #options: zlib.ZlibOptions;
  #stream: RawZlibStream | undefined;

  constructor(kind: 'deflate' | 'inflate', options: zlib.ZlibOptions) {
    this.#kind = kind;
    this.#options = options;
  }

  get(): RawZlibStream {
    if (this.#stream === undefined || this.#stream.broken) this.#stream = new RawZlibStream(this.#kind, this.#options);
    return this.#stream;
  }
}

/** The process's deflate streams, by configuration. */
const sharedDeflaters = new Map<string, SharedStream>();

function sharedDeflater(options: zlib.ZlibOptions): SharedStream {
  const key = `${options.windowBits} ${options.level} ${options.memLevel}`;
  let shared = sharedDeflaters.get(key);
  if (shared === undefined) sharedDeflaters.set(key, (shared = new SharedStream('deflate', options)));
  return shared;
}

/** RFC 7692 §7.2.1: the tail every sync-flushed message ends with, removed on the wire. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** Inflating with the largest window decodes whatever window the peer compressed with. */
const INFLATE_OPTIONS: zlib.ZlibOptions = { windowBits: 15 };
const sharedInflater = new SharedStream('inflate', INFLATE_OPTIONS);

/** `perMessageDeflate: { … }` (types/http.d.ts documents each field). */
export type DeflateOptions = PublicDeflateOptions;

/**
 * Compresses and inflates messages for one negotiated configuration. Stateless between messages
 * (so one instance serves many connections) unless the peer takes over its context.
 */
export class PerMessageDeflate implements MessageCompressor {
  /** The agreed Sec-WebSocket-Extensions value (what `ws.extensions` reports). */
  readonly extension: string;
  readonly threshold: number;
  readonly maxCompressBytes: number;
  readonly #zlibOptions: { windowBits: number; level: number; memLevel: number; finishFlush: number };
  readonly #deflater: SharedStream;
  /** The peer's LZ77 window size when it takes over context; 0 when each message stands alone. */
  readonly #peerWindowBytes: number;
  /** The peer's context (takeover): this connection's own inflate stream, never reset. */
  #peerContext: RawZlibStream | undefined;
  /** Without kept streams (see zlib-engine.ts): the end of what was inflated, as a dictionary. */
  #history: Buffer | undefined;

  constructor(extension: string, windowBits: number, options: DeflateOptions = {}, peerContextWindowBits = 0) {
    this.extension = extension;
    this.#peerWindowBytes = peerContextWindowBits === 0 ? 0 : 1 << peerContextWindowBits;
    this.threshold = options.threshold ?? 1024;
    this.maxCompressBytes = options.maxCompressBytes ?? 1024 * 1024;
    this.#zlibOptions = {
      // zlib cannot deflate raw streams with an 8-bit window; 9 is safe for a peer that asked for 8,
      // because zlib never emits distances beyond window - 262 bytes (250 < 256).
      windowBits: Math.max(9, windowBits),
      level: options.level ?? zlibConstants.Z_DEFAULT_COMPRESSION,
      memLevel: options.memLevel ?? 8,
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
    };
    this.#deflater = sharedDeflater(this.#zlibOptions);
  }

  /** Whether a message of `size` bytes (or UTF-16 units, for text) is worth compressing. */
  shouldCompress(size: number): boolean {
    return size >= this.threshold && size <= this.maxCompressBytes;
  }

  /** The compressed payload of one message, without the 00 00 ff ff tail. */
  compress(payload: Uint8Array): Buffer {
    let output: Buffer;
    if (canKeepStreams) {
      const stream = this.#deflater.get();
      try {
        output = stream.process([payload]);
      } finally {
        if (!stream.broken) stream.reset();
      }
    } else {
      output = deflateRawSync(payload, this.#zlibOptions);
    }
    return output.subarray(0, output.length - TAIL.length);
  }

  /**
   * Inflates one received message. Output is capped at `maxPayload` while inflating, so a
   * compression bomb fails with 1009 without ever holding more than that.
   */
  decompress(payload: Buffer, maxPayload: number): Buffer {
    if (!canKeepStreams) return this.#decompressOneShot(payload, maxPayload);
    const takeover = this.#peerWindowBytes > 0;
    const stream = takeover ? (this.#peerContext ??= new RawZlibStream('inflate', INFLATE_OPTIONS)) : sharedInflater.get();
    try {
      return stream.process([payload, TAIL], maxPayload);
    } catch (error) {
      if (error instanceof OutputTooLargeError) {
        throw new ProtocolError('KRANDOG_WS_MESSAGE_TOO_BIG', `inflated message over ${maxPayload} bytes`, CloseCode.MessageTooBig);
      }
      throw new ProtocolError('KRANDOG_WS_BAD_COMPRESSION', 'compressed message is not valid DEFLATE data', CloseCode.InvalidPayload);
    } finally {
      if (!takeover && !stream.broken) stream.reset();
    }
  }

  #decompressOneShot(payload: Buffer, maxPayload: number): Buffer {
    const input = Buffer.allocUnsafe(payload.length + TAIL.length);
    payload.copy(input);
    TAIL.copy(input, payload.length);
    let output: Buffer;
    try {
      output = inflateRawSync(input, {
        windowBits: 15,
        maxOutputLength: maxPayload,
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        dictionary: this.#history,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ProtocolError('KRANDOG_WS_MESSAGE_TOO_BIG', `inflated message over ${maxPayload} bytes`, CloseCode.MessageTooBig);
      }
      throw new ProtocolError('KRANDOG_WS_BAD_COMPRESSION', 'compressed message is not valid DEFLATE data', CloseCode.InvalidPayload);
    }
    if (this.#peerWindowBytes > 0) this.#remember(output);
    return output;
  }

  /** Keeps the last window of inflated bytes: the peer's next message may refer back into it. */
  #remember(output: Buffer): void {
    const window = this.#peerWindowBytes;
    if (output.length >= window) {
      this.#history = Buffer.from(output.subarray(output.length - window));
    } else if (output.length > 0) {
      const kept = this.#history === undefined ? 0 : Math.min(this.#history.length, window - output.length);
      const history = Buffer.allocUnsafe(kept + output.length);
      if (kept > 0) this.#history!.copy(history, 0, this.#history!.length - kept);
      output.copy(history, kept);
      this.#history = history;
    }
  }
}

/**
 * Server side: picks the first acceptable permessage-deflate offer (RFC 7692 §5: offers with unknown,
 * repeated or invalid parameters are declined) and returns the deflater for it, or null for none.
 */
export function acceptDeflateOffer(offers: ExtensionOffer[], options: DeflateOptions = {}): PerMessageDeflate | null {
  const ownMaxWindowBits = options.serverMaxWindowBits ?? 15;
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const params = readParams(offer);
    if (params === null) continue;
    let windowBits = ownMaxWindowBits;
    const response: ExtensionOffer = {
      name: EXTENSION_NAME,
      params: [
        ['server_no_context_takeover', true],
        ['client_no_context_takeover', true],
      ],
    };
    const asked = params.get('server_max_window_bits');
    if (typeof asked === 'string') windowBits = Math.min(windowBits, Number(asked));
    if (asked !== undefined || windowBits < 15) response.params.push(['server_max_window_bits', String(windowBits)]);
    return new PerMessageDeflate(formatExtension(response), windowBits, options);
  }
  return null;
}

/** Client side: what the client offers, as browsers do. */
export function deflateOffer(): string {
  return `${EXTENSION_NAME}; client_max_window_bits`;
}

/**
 * Client side: checks the server's answer to `deflateOffer()`. Throws on anything the client did not
 * offer or cannot work with; the caller fails the connection.
 */
export function acceptDeflateResponse(response: ExtensionOffer, header: string, options: DeflateOptions = {}): PerMessageDeflate {
  if (response.name !== EXTENSION_NAME) throw new Error(`server accepted an extension that was not offered: ${response.name}`);
  const params = readParams(response);
  if (params === null) throw new Error(`invalid permessage-deflate response: ${header}`);
  const clientBits = params.get('client_max_window_bits');
  if (clientBits === true) throw new Error('client_max_window_bits in a response needs a value');
  const serverBits = params.get('server_max_window_bits');
  // Without server_no_context_takeover the server may refer back into earlier messages.
  const serverContextBits = params.has('server_no_context_takeover') ? 0 : serverBits === undefined ? 15 : Number(serverBits);
  return new PerMessageDeflate(header, clientBits === undefined ? 15 : Number(clientBits), options, serverContextBits);
}

const PARAMETERS = new Set([
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
]);

/** The offer's parameters, or null when one is unknown, repeated or has an invalid value. */
function readParams(offer: ExtensionOffer): Map<string, string | true> | null {
  const params = new Map<string, string | true>();
  for (const [name, value] of offer.params) {
    if (!PARAMETERS.has(name) || params.has(name)) return null;
    if (name.endsWith('_no_context_takeover')) {
      if (value !== true) return null;
    } else if (value !== true || name === 'server_max_window_bits') {
      // RFC 7692 §7.1.2: window bits are a decimal 8..15 without leading zeros.
      if (value === true || !/^(?:8|9|1[0-5])$/.test(value)) return null;
    }
    params.set(name, value);
  }
  return params;
}
