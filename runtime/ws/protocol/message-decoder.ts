// The one place received bytes become a message: a compressed payload is inflated (through the
// MessageCompressor the handshake agreed on), text is checked as UTF-8 and decoded to a string.
// The parser and the assembler hand over bytes; the connection calls this for each message.
import type { MessageCompressor } from './compressor.ts';
import { ProtocolError } from './errors.ts';
import { invalidUtf8, isValidUtf8 } from './utf8.ts';

/**
 * One received message: a string for text, the bytes for binary, or the ProtocolError that fails
 * the connection (1007 for bad text or bad DEFLATE data, 1009 for an inflated size past
 * `maxPayload`). `isCheckedText`: the assembler already checked the text as it arrived.
 */
export function decodeMessage(
  payload: Buffer,
  isText: boolean,
  isCompressed: boolean,
  isCheckedText: boolean,
  compressor: MessageCompressor | undefined,
  maxPayload: number,
): string | Buffer | ProtocolError {
  let bytes = payload;
  if (isCompressed) {
    try {
      bytes = compressor!.decompress(payload, maxPayload);
    } catch (error) {
      return error as ProtocolError;
    }
  }
  if (!isText) return bytes;
  if (!isCheckedText && !isValidUtf8(bytes)) return invalidUtf8();
  return bytes.toString();
}

/** Text that is not a message (a close reason) as a string; undefined when it is not UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (!isValidUtf8(bytes)) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString();
}
