// Protocol numbers from RFC 6455, as `as const` objects so esbuild (isolatedModules) inlines nothing
// surprising and the types stay narrow.

/** RFC 6455 §5.2 opcodes. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RFC 6455 §7.4.1 close codes (1005, 1006 and 1015 are never sent on the wire). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  TlsHandshake: 1015,
} as const;

/** A connection's state (WHATWG WebSocket `readyState`, the states of RFC 6455 §4–§7). */
export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;
/** The same numbers under the names scripts read them by: `WebSocket.OPEN`, `ws.CLOSED`. */
export const READY_STATE_CONSTANTS = {
  CONNECTING: ReadyState.Connecting,
  OPEN: ReadyState.Open,
  CLOSING: ReadyState.Closing,
  CLOSED: ReadyState.Closed,
} as const;

/** RFC 6455 §1.3: appended to Sec-WebSocket-Key before hashing. */
export const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §5.5: control frames carry at most 125 payload bytes. */
export const MAX_CONTROL_PAYLOAD = 125;

/** Defaults for the receiving limits; 16 MiB admits Autobahn 9.1.6/9.2.6. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;
/** Fragments per message; Autobahn 9.3.1 sends 4 MiB in 64-byte fragments (65,536 of them). */
export const DEFAULT_MAX_FRAGMENTS = 128 * 1024;
