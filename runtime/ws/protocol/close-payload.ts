import { CloseCode, MAX_CONTROL_PAYLOAD } from './constants.ts';
import { ProtocolError } from './errors.ts';
import { decodeText } from './message-decoder.ts';

/** RFC 6455 §5.5: a close frame's reason fits in a control frame after the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;

/** Whether `reason`'s UTF-8 is longer than a close frame can carry (123 bytes). */
export function isCloseReasonTooLong(reason: string): boolean {
  return Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES;
}

/** RFC 6455 §7.4: may this code appear in a close frame on the wire? */
export function isValidCloseCode(code: number): boolean {
  if (code >= 1000 && code <= 1014) {
    return code !== 1004 && code !== CloseCode.NoStatus && code !== CloseCode.Abnormal;
  }
  return code >= 3000 && code <= 4999;
}

export interface ClosePayload {
  /** 1005 (No Status Received) when the frame had no body. */
  code: number;
  reason: string;
}

/** Reads a received close frame's body (RFC 6455 §5.5.1); a malformed one is a ProtocolError. */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) {
    throw new ProtocolError('KRANDOG_WS_BAD_CLOSE_PAYLOAD', 'close frame with a 1-byte body');
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new ProtocolError('KRANDOG_WS_BAD_CLOSE_CODE', `invalid close code ${code}`);
  }
  const reason = decodeText(payload.subarray(2));
  if (reason === undefined) {
    throw new ProtocolError('KRANDOG_WS_INVALID_UTF8', 'close reason is not valid UTF-8', CloseCode.InvalidPayload);
  }
  return { code, reason };
}

/** The body of a close frame to send; no code means an empty body (which the peer reads as 1005). */
export function encodeClosePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  if (isCloseReasonTooLong(reason)) throw new RangeError('close reason is longer than 123 bytes');
  const reasonBytes = Buffer.byteLength(reason);
  const payload = Buffer.allocUnsafe(2 + reasonBytes);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}
