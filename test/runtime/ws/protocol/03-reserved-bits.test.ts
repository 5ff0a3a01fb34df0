// Autobahn|Testsuite category 3, Reserved Bits (RFC 6455 §5.2): with no extension negotiated, a
// frame with RSV1, RSV2 or RSV3 set fails the connection with 1002. Messages before it still count;
// nothing after it is answered.
import { describe, it } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { OP, text, type FrameSpec } from '../../../helpers/frames.ts';
import { protocolError, textMessage } from '../../../helpers/parser-run.ts';

const RESERVED = protocolError(1002, 'KRANDOG_WS_RESERVED_BITS');
const withRsv = (spec: FrameSpec, rsv: number): FrameSpec => ({ ...spec, rsv });

describe('Autobahn 3 reserved bits', () => {
  it('3.1 fails a text frame with RSV3 (rsv = 1)', async () => {
    await checkCase({ id: '3.1', title: '', frames: [withRsv(text('Hello, world!'), 1)], events: [RESERVED] });
  });

  // 3.2-3.4: a good message, then one with reserved bits, then a ping that must not be answered.
  // 3.3 and 3.4 send frame by frame; checkCase delivers every case that way too.
  for (const [id, rsv] of [['3.2', 2], ['3.3', 3], ['3.4', 4]] as const) {
    it(`${id} echoes a message, then fails a text frame with rsv = ${rsv} and ignores the ping after it`, async () => {
      await checkCase({
        id,
        title: '',
        frames: [text('Hello, world!'), withRsv(text('Hello, world!'), rsv), { opcode: OP.ping, payload: '' }],
        events: [textMessage('Hello, world!'), RESERVED],
      });
    });
  }

  it('3.5 fails a binary frame with rsv = 5', async () => {
    const payload = Buffer.alloc(8, 0xff);
    await checkCase({ id: '3.5', title: '', frames: [withRsv({ opcode: OP.binary, payload }, 5)], events: [RESERVED] });
  });

  it('3.6 fails a ping with rsv = 6', async () => {
    await checkCase({
      id: '3.6',
      title: '',
      frames: [withRsv({ opcode: OP.ping, payload: 'Hello, world!' }, 6)],
      events: [RESERVED],
    });
  });

  it('3.7 fails a close frame with rsv = 7', async () => {
    await checkCase({ id: '3.7', title: '', frames: [withRsv({ opcode: OP.close, payload: '' }, 7)], events: [RESERVED] });
  });
});

describe('RSV1 once permessage-deflate is negotiated (RFC 7692 §6)', () => {
  const deflate = { allowRsv1: true };
  // Not inflated at this layer, so bytes that are not UTF-8 are no error here.
  const deflated = Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);

  it('passes a message whose first frame has RSV1 through as compressed, unchecked as UTF-8', async () => {
    await checkCase({
      id: 'deflate, first frame',
      title: '',
      frames: [withRsv(text(deflated.subarray(0, 3), false), 4), { opcode: OP.cont, payload: deflated.subarray(3) }],
      events: [{ compressed: Buffer.from(deflated).toString('hex'), isText: true }],
      parserOptions: deflate,
      parserOnly: true,
    });
  });

  it('fails RSV1 on a control frame with 1002', async () => {
    await checkCase({
      id: 'deflate, ping',
      title: '',
      frames: [withRsv({ opcode: OP.ping, payload: '' }, 4)],
      events: [RESERVED],
      parserOptions: deflate,
      parserOnly: true,
    });
  });

  it('fails RSV1 on a continuation frame with 1002', async () => {
    await checkCase({
      id: 'deflate, continuation',
      title: '',
      frames: [withRsv(text('a', false), 4), withRsv({ opcode: OP.cont, payload: 'b' }, 4)],
      events: [RESERVED],
      parserOptions: deflate,
      parserOnly: true,
    });
  });

  it('still fails RSV2 and RSV3 with 1002', async () => {
    for (const rsv of [1, 2, 3, 5, 6, 7]) {
      await checkCase({
        id: `deflate, rsv ${rsv}`,
        title: '',
        frames: [withRsv(text('a'), rsv)],
        events: [RESERVED],
        parserOptions: deflate,
        parserOnly: true,
      });
    }
  });
});
