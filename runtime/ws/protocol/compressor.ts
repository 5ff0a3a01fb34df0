// What the protocol needs of a compression extension (RFC 7692's permessage-deflate is the one krandog
// has, in ../extensions/): connections and the topic fan-out compress and inflate through this
// interface (see decodeMessage and encodeMessage), so neither depends on how the extension was negotiated.

/** Compresses and inflates whole messages for one agreed extension configuration. */
export interface MessageCompressor {
  /** The agreed Sec-WebSocket-Extensions value (what `ws.extensions` reports). */
  readonly extension: string;
  /** Whether a message of `size` bytes (or UTF-16 units, for text) is worth compressing. */
  shouldCompress(size: number): boolean;
  /** The compressed payload of one message (`payload` is not kept: it may be a reused buffer). */
  compress(payload: Uint8Array): Buffer;
  /** Inflates one received message; a ProtocolError (1009) past `maxPayload` bytes, (1007) for bad data. */
  decompress(payload: Buffer, maxPayload: number): Buffer;
}
