// The parts of node:http's internals the lean path (lean-connection.ts) builds on, in one place:
// llhttp's binding (`HTTPParser`, as node:http itself uses it), node:http's own connection listener
// (to hand a connection over) and the server's connection list (its timeouts and close()).
// All exist, with these shapes, on Node 20, 22 and 24; `available` is false if one is missing.
import { createRequire } from 'node:module';
import { IncomingMessage, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

const require = createRequire(import.meta.url);

/** llhttp's request parser, as node:http drives it (only what the lean path calls). */
export interface HttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number, connections: object | undefined): void;
  execute(data: Buffer): number | Error;
  /** Reads straight from a stream handle, calling kOnExecute after each read (as node:http does). */
  consume(handle: object): void;
  unconsume(): void;
  /** While paused, execute() parses nothing (and calls nothing back). */
  pause(): void;
  resume(): void;
  /** A copy of the read being parsed (within kOnExecute). */
  getCurrentBuffer(): Buffer;
  remove(): void;
  close(): void;
  socket: Socket | null;
  [callback: number]: unknown;
}

interface ParserBinding {
  HTTPParser: {
    new (): HttpParser;
    REQUEST: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnMessageBegin: number;
    kOnExecute: number;
    kLenientNone: number;
  };
  methods: string[];
}

type AddHeaderLine = (this: object, field: string, value: string, dest: IncomingHttpHeaders) => void;

function load(): { common: ParserBinding; connectionListener: (this: Server, socket: Socket) => void } | undefined {
  try {
    const common = require('_http_common') as ParserBinding;
    const connectionListener = (require('_http_server') as { _connectionListener?: (this: Server, socket: Socket) => void })._connectionListener;
    const addHeaderLine = (IncomingMessage.prototype as unknown as { _addHeaderLine?: unknown })._addHeaderLine;
    if (typeof common.HTTPParser !== 'function' || !Array.isArray(common.methods)) return undefined;
    if (typeof connectionListener !== 'function' || typeof addHeaderLine !== 'function') return undefined;
    return { common, connectionListener };
  } catch {
    return undefined;
  }
}

const loaded = load();

/** Whether this Node has every internal the lean path needs. */
export const available = loaded !== undefined;
export const HTTPParser = loaded?.common.HTTPParser as ParserBinding['HTTPParser'];
export const methods = loaded?.common.methods as string[];
/** node:http's 'connection' listener: the one `http.createServer()` registers. */
export const nodeConnectionListener = loaded?.connectionListener as (this: Server, socket: Socket) => void;

const addHeaderLine = (IncomingMessage.prototype as unknown as { _addHeaderLine: AddHeaderLine })._addHeaderLine;
// `this` of _addHeaderLine: the only field it reads is the server's joinDuplicateHeaders (unset).
const HEADER_OPTIONS = { joinDuplicateHeaders: false };

/** `req.headers` from raw [name, value, …] pairs, exactly as IncomingMessage builds it (duplicates, set-cookie, cookie). */
export function headersOf(raw: string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) addHeaderLine.call(HEADER_OPTIONS, raw[i]!, raw[i + 1]!, headers);
  return headers;
}

let connectionsSymbol: symbol | undefined;

/** The server's ConnectionsList (node:http's timeouts and closeIdle/AllConnections go through it); set once it listens. */
export function connectionsOf(server: Server): object | undefined {
  connectionsSymbol ??= Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'http.server.connections');
  return connectionsSymbol === undefined ? undefined : ((server as unknown as Record<symbol, object | undefined>)[connectionsSymbol] ?? undefined);
}
