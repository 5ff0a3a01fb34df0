// The WebSocket options of `http.createServer(handler, options)`: defaults and checks.
import type { KrandogServerOptions } from 'node:http';
import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD } from '../protocol/constants.ts';
import type { AllowOrigins } from './handshake.ts';
import { isToken } from '../../util/http-tokens.ts';
import type { DeflateOptions } from '../extensions/permessage-deflate.ts';
import { describeValue } from '../../util/describe-value.ts';
import { readCount } from '../../util/options.ts';

/** The WebSocket options of `http.createServer(handler, options)` and `serve()` (types/http.d.ts documents each). */
export type WebSocketServerOptions = Pick<
  KrandogServerOptions,
  | 'maxPayload'
  | 'maxFragments'
  | 'backpressureLimit'
  | 'idleTimeout'
  | 'pingInterval'
  | 'pongTimeout'
  | 'closeTimeout'
  | 'upgradeTimeout'
  | 'protocols'
  | 'allowOrigins'
  | 'perMessageDeflate'
  | 'sequentialMessages'
  | 'pubsub'
>;

/** The options after defaults and checks. Times in milliseconds, 0 meaning "off". */
export interface ResolvedWebSocketOptions {
  readonly maxPayload: number;
  readonly maxFragments: number;
  readonly backpressureLimit: number;
  readonly idleTimeout: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly closeTimeout: number;
  readonly upgradeTimeout: number;
  readonly protocols: readonly string[] | undefined;
  readonly allowOrigins: AllowOrigins | undefined;
  readonly perMessageDeflate: DeflateOptions | false;
  readonly sequentialMessages: boolean;
}

const MiB = 1024 * 1024;

/** Defaults, documented in the README's WebSocket server section. */
export const WEBSOCKET_DEFAULTS = {
  maxPayload: DEFAULT_MAX_PAYLOAD,
  maxFragments: DEFAULT_MAX_FRAGMENTS,
  backpressureLimit: 16 * MiB,
  idleTimeout: 120_000,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  closeTimeout: 5_000,
  upgradeTimeout: 10_000,
} as const;

type NumericOption = keyof typeof WEBSOCKET_DEFAULTS;

/** Applies defaults; a value of the wrong kind throws a TypeError naming the option. */
export function resolveWebSocketOptions(options: WebSocketServerOptions | undefined): ResolvedWebSocketOptions {
  const given = options ?? {};
  const protocols = given.protocols;
  // RFC 6455 §4.1: a subprotocol name is an HTTP token.
  if (protocols !== undefined && (!Array.isArray(protocols) || !protocols.every((p) => typeof p === 'string' && isToken(p)))) {
    throw new TypeError('http.createServer: options.protocols must be an array of subprotocol names (tokens)');
  }
  const allowOrigins = given.allowOrigins;
  if (
    allowOrigins !== undefined &&
    typeof allowOrigins !== 'function' &&
    !(Array.isArray(allowOrigins) && allowOrigins.every((origin) => typeof origin === 'string'))
  ) {
    throw new TypeError('http.createServer: options.allowOrigins must be an array of origins or a function');
  }
  return {
    maxPayload: readPositive(given, 'maxPayload'),
    maxFragments: readPositive(given, 'maxFragments'),
    backpressureLimit: readPositive(given, 'backpressureLimit'),
    idleTimeout: readCount(given, 'idleTimeout', WEBSOCKET_DEFAULTS.idleTimeout, describeValue),
    pingInterval: readCount(given, 'pingInterval', WEBSOCKET_DEFAULTS.pingInterval, describeValue),
    pongTimeout: readPositive(given, 'pongTimeout'),
    closeTimeout: readPositive(given, 'closeTimeout'),
    upgradeTimeout: readPositive(given, 'upgradeTimeout'),
    protocols,
    allowOrigins,
    perMessageDeflate: readDeflateOptions(given.perMessageDeflate),
    sequentialMessages: readBoolean(given.sequentialMessages, 'sequentialMessages'),
  };
}

function readDeflateOptions(value: WebSocketServerOptions['perMessageDeflate']): DeflateOptions | false {
  if (value === undefined || value === false) return false;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('http.createServer: options.perMessageDeflate must be a boolean or an object');
  }
  const ranges = { threshold: [0, Infinity], maxCompressBytes: [0, Infinity], level: [-1, 9], memLevel: [1, 9], serverMaxWindowBits: [8, 15] } as const;
  for (const [name, [low, high]] of Object.entries(ranges)) {
    const given = value[name as keyof DeflateOptions];
    if (given !== undefined && (typeof given !== 'number' || !Number.isInteger(given) || given < low || given > high)) {
      throw new TypeError(`http.createServer: options.perMessageDeflate.${name} must be an integer from ${low} to ${high}`);
    }
  }
  return value;
}

function readBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`http.createServer: options.${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

function readPositive(options: WebSocketServerOptions, name: NumericOption): number {
  const value = readCount(options, name, WEBSOCKET_DEFAULTS[name], describeValue);
  if (value === 0) throw new TypeError(`http.createServer: options.${name} must be greater than 0`);
  return value;
}
