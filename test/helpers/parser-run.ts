import { FrameParser, type FrameParserOptions } from '../../runtime/ws/protocol/frame-parser.ts';
import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD } from '../../runtime/ws/protocol/constants.ts';
import { ProtocolError } from '../../runtime/ws/protocol/errors.ts';
import { decodeMessage } from '../../runtime/ws/protocol/message-decoder.ts';

/**
 * What a FrameParser reported, in a form that compares with toEqual. Bytes are hex strings: deep
 * equality of large Buffers is slow, and a hex diff is readable.
 */
export type ParserEvent =
  | { text: string }
  | { binary: string }
  /** RSV1 (permessage-deflate): the raw, still compressed payload. */
  | { compressed: string; isText: boolean }
  | { control: number; payload: string }
  | { error: number; code: string };

export interface ParseResult {
  events: ParserEvent[];
  /** Bytes fed up to and including the piece during which the error fired. */
  errorAtByte?: number;
}

export type ParserRunOptions = Partial<FrameParserOptions> & Pick<FrameParserOptions, 'isServer'> & { allowRsv1?: boolean };

/**
 * A FrameParser that records its events. It also enforces the parser's contract on every call:
 * at most one error, nothing after an error or a close frame, and errors that are ProtocolErrors.
 */
export class RecordingParser {
  readonly events: ParserEvent[] = [];
  errorAtByte: number | undefined;
  bytesFed = 0;
  readonly parser: FrameParser;
  #finished = false;

  constructor(options: ParserRunOptions) {
    this.parser = new FrameParser(
      {
        isServer: options.isServer,
        maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
        maxFragments: options.maxFragments ?? DEFAULT_MAX_FRAGMENTS,
      },
      {
        onMessage: (payload, isText, isCompressed, isCheckedText) => {
          if (isCompressed) return this.#record({ compressed: payload.toString('hex'), isText });
          // Decoded as a Connection does: invalid text fails like a parser error.
          const data = decodeMessage(payload, isText, false, isCheckedText, undefined, Infinity);
          if (data instanceof ProtocolError) {
            this.parser.stop();
            this.#onError(data);
          } else if (isText) {
            this.#record({ text: data as string });
          } else {
            this.#record({ binary: (data as Buffer).toString('hex') });
          }
        },
        onControl: (opcode, payload) => {
          this.#record({ control: opcode, payload: payload.toString('hex') });
          if (opcode === 0x8) this.#finished = true;
        },
        onError: (error) => this.#onError(error),
      },
    );
    if (options.allowRsv1) this.parser.allowRsv1 = true;
  }

  push(piece: Buffer): void {
    this.bytesFed += piece.length;
    this.parser.push(piece);
  }

  #onError(error: ProtocolError): void {
    if (!(error instanceof ProtocolError)) throw new Error(`onError got a non-ProtocolError: ${error}`);
    this.#record({ error: error.closeCode, code: error.code });
    this.#finished = true;
    this.errorAtByte = this.bytesFed;
  }

  #record(event: ParserEvent): void {
    if (this.#finished) throw new Error(`parser reported ${JSON.stringify(event)} after an error or a close frame`);
    this.events.push(event);
  }
}

/** Feeds `pieces` in order to a fresh parser and returns what it reported. */
export function parsePieces(pieces: readonly Buffer[], options: ParserRunOptions): ParseResult {
  const recorder = new RecordingParser(options);
  for (const piece of pieces) recorder.push(piece);
  return { events: recorder.events, errorAtByte: recorder.errorAtByte };
}

// Expected-event shorthands.
export const textMessage = (text: string): ParserEvent => ({ text });
export const binaryMessage = (bytes: Uint8Array | string): ParserEvent => ({ binary: hex(bytes) });
export const control = (opcode: number, payload: Uint8Array | string = ''): ParserEvent => ({
  control: opcode,
  payload: hex(payload),
});
export const protocolError = (closeCode: number, code: string): ParserEvent => ({ error: closeCode, code });

function hex(bytes: Uint8Array | string): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes)).toString('hex');
}
