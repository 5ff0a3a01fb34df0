// The one encode-once cache: a message that goes to many server connections (a publish to a
// topic's subscribers, a script's send loop over its clients) is framed once, and compressed once
// per compressor among them. The server shares one compressor per agreed permessage-deflate
// configuration (see WebSocketServer#negotiateDeflate), so that is once per configuration.
import type { MessageCompressor } from '../ws/protocol/compressor.ts';
import { encodeMessage, messageBytes, type EncodedMessage } from '../ws/protocol/frame-encoder.ts';

/** One message for many server connections, each encoding made on first need. */
export class FanoutMessage {
  #payload: string | Uint8Array;
  #isText: boolean;
  #bytes = -1;
  #plain: EncodedMessage | undefined;
  // Usually zero or one configuration: short lists beat a Map.
  #compressors: MessageCompressor[] | undefined;
  #compressed: EncodedMessage[] | undefined;

  /** `payload`: a string, or bytes that are text (UTF-8) when `isText`. */
  constructor(payload: string | Uint8Array, isText: boolean) {
    this.#payload = payload;
    this.#isText = isText;
  }

  get payload(): string | Uint8Array {
    return this.#payload;
  }

  /** Makes this the cache of another message (no new object for each message of a send loop). */
  reset(payload: string | Uint8Array, isText: boolean): void {
    this.#payload = payload;
    this.#isText = isText;
    this.#bytes = -1;
    this.#plain = undefined;
    if (this.#compressors !== undefined) this.#compressors.length = this.#compressed!.length = 0;
  }

  /** The message's size in bytes (UTF-8 for text). */
  get byteLength(): number {
    if (this.#bytes < 0) {
      const payload = this.#payload;
      // Text: the plain frame's header holds it when there is one; otherwise count.
      this.#bytes = this.#plain !== undefined ? messageBytes(payload, this.#plain) : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    }
    return this.#bytes;
  }

  /** The message for a connection that agreed on `compressor` (undefined: none). */
  encodedFor(compressor: MessageCompressor | undefined): EncodedMessage {
    const payload = this.#payload;
    if (compressor === undefined || !compressor.shouldCompress(payload.length)) return (this.#plain ??= encodeMessage(payload, this.#isText, false));
    const compressors = (this.#compressors ??= []);
    const index = compressors.indexOf(compressor);
    if (index !== -1) return this.#compressed![index];
    const encoded = encodeMessage(payload, this.#isText, false, compressor);
    compressors.push(compressor);
    (this.#compressed ??= []).push(encoded);
    return encoded;
  }
}
