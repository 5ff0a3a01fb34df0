import { CloseCode } from './constants.ts';

/** A stable machine-readable code for each way a peer can break the protocol. */
export type ProtocolErrorCode =
  | 'KRANDOG_WS_UNMASKED_FRAME'
  | 'KRANDOG_WS_MASKED_FRAME'
  | 'KRANDOG_WS_RESERVED_BITS'
  | 'KRANDOG_WS_BAD_OPCODE'
  | 'KRANDOG_WS_CONTROL_FRAGMENTED'
  | 'KRANDOG_WS_CONTROL_TOO_LONG'
  | 'KRANDOG_WS_UNEXPECTED_CONTINUATION'
  | 'KRANDOG_WS_EXPECTED_CONTINUATION'
  | 'KRANDOG_WS_BAD_LENGTH'
  | 'KRANDOG_WS_MESSAGE_TOO_BIG'
  | 'KRANDOG_WS_TOO_MANY_FRAGMENTS'
  | 'KRANDOG_WS_INVALID_UTF8'
  | 'KRANDOG_WS_BAD_CLOSE_PAYLOAD'
  | 'KRANDOG_WS_BAD_CLOSE_CODE'
  | 'KRANDOG_WS_BAD_COMPRESSION';

/** A peer violated RFC 6455; `closeCode` is what the connection sends before failing. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly closeCode: number;

  constructor(code: ProtocolErrorCode, message: string, closeCode: number = CloseCode.ProtocolError) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.closeCode = closeCode;
  }
}
