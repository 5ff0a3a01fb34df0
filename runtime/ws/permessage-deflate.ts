import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { CloseCode } from './constants.ts';
import { type ExtensionOffer, formatExtension } from './extension-header.ts';
import { ProtocolError } from './protocol-error.ts';

// permessage-deflate (RFC 7692), built for memory: every message is compressed on its own
// (no context takeover, in both directions), so a connection holds no zlib state between messages
// and an idle connection costs nothing extra. The server asks for this in every response (§7.1.1:
// it may add both *_no_context_takeover parameters unasked); the client offers it. Compressing
// without context is always decodable, whatever the peer agreed to, and one-shot synchronous zlib
// calls keep message order with no queue.

export const EXTENSION_NAME = 'permessage-deflate';
/** RFC 7692 §7.2.1: the tail every sync-flushed message ends with, removed on the wire. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export interface DeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
  /**
   * Messages larger than this are sent uncompressed (default 1 MiB). Compression runs synchronously
   * on the event loop; this bounds how long one message can hold it.
   */
  maxCompressBytes?: number;
  /** zlib compression level 0–9 (default 6: zlib's own default). */
  level?: number;
  /** zlib memLevel 1–9 (default 8). */
  memLevel?: number;
  /** Largest LZ77 window the server compresses with, 9–15 (default 15). */
  serverMaxWindowBits?: number;
}

/** Compresses and inflates messages for one negotiated configuration; stateless between messages. */
export class PerMessageDeflate {
  /** The agreed Sec-WebSocket-Extensions value (what `ws.extensions` reports). */
  readonly extension: string;
  readonly threshold: number;
  readonly maxCompressBytes: number;
  readonly #zlibOptions: { windowBits: number; level: number; memLevel: number; finishFlush: number };
  #lastText: string | undefined;
  #lastCompressed: Buffer | undefined;

  constructor(extension: string, windowBits: number, options: DeflateOptions = {}) {
    this.extension = extension;
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
  }

  /** Whether a message of `size` bytes (or UTF-16 units, for text) is worth compressing. */
  shouldCompress(size: number): boolean {
    return size >= this.threshold && size <= this.maxCompressBytes;
  }

  /** The compressed payload of one message, without the 00 00 ff ff tail. */
  compress(payload: Uint8Array): Buffer {
    const output = deflateRawSync(payload, this.#zlibOptions);
    return output.subarray(0, output.length - TAIL.length);
  }

  /** Compresses a text message; the same string sent again (a broadcast) is compressed once. */
  compressText(text: string): Buffer {
    if (text !== this.#lastText) {
      this.#lastCompressed = this.compress(Buffer.from(text));
      this.#lastText = text;
    }
    return this.#lastCompressed!;
  }

  /**
   * Inflates one received message. Output is capped at `maxPayload` while inflating, so a
   * compression bomb fails with 1009 without ever holding more than that.
   */
  decompress(payload: Buffer, maxPayload: number): Buffer {
    const input = Buffer.allocUnsafe(payload.length + TAIL.length);
    payload.copy(input);
    TAIL.copy(input, payload.length);
    try {
      return inflateRawSync(input, {
        windowBits: 15,
        maxOutputLength: maxPayload,
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ProtocolError('KRANDOG_WS_MESSAGE_TOO_BIG', `inflated message over ${maxPayload} bytes`, CloseCode.MessageTooBig);
      }
      throw new ProtocolError('KRANDOG_WS_BAD_COMPRESSION', 'compressed message is not valid DEFLATE data', CloseCode.InvalidPayload);
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

/** Client side: what the client offers (as browsers do, plus the no-context-takeover it relies on). */
export function deflateOffer(): string {
  return `${EXTENSION_NAME}; client_max_window_bits; server_no_context_takeover; client_no_context_takeover`;
}

/**
 * Client side: checks the server's answer to `deflateOffer()`. Throws on anything the client did not
 * offer or cannot work with; the caller fails the connection.
 */
export function acceptDeflateResponse(response: ExtensionOffer, header: string, options: DeflateOptions = {}): PerMessageDeflate {
  if (response.name !== EXTENSION_NAME) throw new Error(`server accepted an extension that was not offered: ${response.name}`);
  const params = readParams(response);
  if (params === null) throw new Error(`invalid permessage-deflate response: ${header}`);
  // We inflate each message on its own, so the server must have agreed not to take over context.
  if (!params.has('server_no_context_takeover')) {
    throw new Error('server did not accept server_no_context_takeover');
  }
  const clientBits = params.get('client_max_window_bits');
  if (clientBits === true) throw new Error('client_max_window_bits in a response needs a value');
  return new PerMessageDeflate(header, clientBits === undefined ? 15 : Number(clientBits), options);
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
