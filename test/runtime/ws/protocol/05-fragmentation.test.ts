// Autobahn|Testsuite category 5, Fragmentation (RFC 6455 §5.4): control frames are never
// fragmented; a continuation needs a message to continue and a new message must wait for the
// previous one to end; control frames may come between fragments and are answered at once.
// The "delayed", "chopped" and "sync" variants differ only in delivery, and checkCase feeds every
// case whole, byte by byte, frame by frame and in random chunks.
import { describe, it } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { cont, OP, ping, text, type FrameSpec } from '../../../helpers/frames.ts';
import { control, protocolError, textMessage } from '../../../helpers/parser-run.ts';

const CONTROL_FRAGMENTED = protocolError(1002, 'KRANDOG_WS_CONTROL_FRAGMENTED');
const UNEXPECTED_CONTINUATION = protocolError(1002, 'KRANDOG_WS_UNEXPECTED_CONTINUATION');
const EXPECTED_CONTINUATION = protocolError(1002, 'KRANDOG_WS_EXPECTED_CONTINUATION');

const twoFragments: FrameSpec[] = [text('fragment1', false), cont('fragment2')];
const withPing: FrameSpec[] = [text('fragment1', false), ping('ping payload'), cont('fragment2')];
const orphanFinal: FrameSpec[] = [cont('non-continuation payload'), text('Hello, world!')];
const orphanOpen: FrameSpec[] = [cont('non-continuation payload', false), text('Hello, world!')];

describe('Autobahn 5 fragmentation', () => {
  it('5.1 fails a ping sent in 2 fragments', async () => {
    const frames: FrameSpec[] = [{ opcode: OP.ping, payload: 'fragment1', fin: false }, cont('fragment2')];
    await checkCase({ id: '5.1', title: '', frames, events: [CONTROL_FRAGMENTED] });
  });

  it('5.2 fails a pong sent in 2 fragments', async () => {
    const frames: FrameSpec[] = [{ opcode: OP.pong, payload: 'fragment1', fin: false }, cont('fragment2')];
    await checkCase({ id: '5.2', title: '', frames, events: [CONTROL_FRAGMENTED] });
  });

  for (const id of ['5.3', '5.4', '5.5']) {
    it(`${id} reassembles a text message sent in 2 fragments`, async () => {
      await checkCase({ id, title: '', frames: twoFragments, events: [textMessage('fragment1fragment2')] });
    });
  }

  for (const id of ['5.6', '5.7', '5.8']) {
    it(`${id} answers a ping between 2 fragments at once, then reassembles the message`, async () => {
      await checkCase({
        id,
        title: '',
        frames: withPing,
        events: [control(OP.ping, 'ping payload'), textMessage('fragment1fragment2')],
      });
    });
  }

  for (const id of ['5.9', '5.10', '5.11']) {
    it(`${id} fails a final continuation frame with nothing to continue`, async () => {
      await checkCase({ id, title: '', frames: orphanFinal, events: [UNEXPECTED_CONTINUATION] });
    });
  }

  for (const id of ['5.12', '5.13', '5.14']) {
    it(`${id} fails a non-final continuation frame with nothing to continue`, async () => {
      await checkCase({ id, title: '', frames: orphanOpen, events: [UNEXPECTED_CONTINUATION] });
    });
  }

  it('5.15 echoes a 2-fragment message, then fails the orphan continuation after it', async () => {
    await checkCase({
      id: '5.15',
      title: '',
      frames: [text('fragment1', false), cont('fragment2'), cont('fragment3', false), text('fragment4')],
      events: [textMessage('fragment1fragment2'), UNEXPECTED_CONTINUATION],
    });
  });

  it('5.16 fails a non-final continuation that precedes a fragmented message', async () => {
    const round: FrameSpec[] = [cont('fragment1', false), text('fragment2', false), cont('fragment3')];
    await checkCase({ id: '5.16', title: '', frames: [...round, ...round], events: [UNEXPECTED_CONTINUATION] });
  });

  it('5.17 fails a final continuation that precedes a fragmented message', async () => {
    const round: FrameSpec[] = [cont('fragment1'), text('fragment2', false), cont('fragment3')];
    await checkCase({ id: '5.17', title: '', frames: [...round, ...round], events: [UNEXPECTED_CONTINUATION] });
  });

  it('5.18 fails a text frame where a continuation was expected', async () => {
    await checkCase({
      id: '5.18',
      title: '',
      frames: [text('fragment1', false), text('fragment2')],
      events: [EXPECTED_CONTINUATION],
    });
  });

  for (const id of ['5.19', '5.20']) {
    it(`${id} answers two pings interleaved in a 5-fragment message, then reassembles it`, async () => {
      await checkCase({
        id,
        title: '',
        frames: [
          text('fragment1', false),
          cont('fragment2', false),
          ping('pongme 1!'),
          cont('fragment3', false),
          cont('fragment4', false),
          ping('pongme 2!'),
          cont('fragment5'),
        ],
        events: [
          control(OP.ping, 'pongme 1!'),
          control(OP.ping, 'pongme 2!'),
          textMessage('fragment1fragment2fragment3fragment4fragment5'),
        ],
      });
    });
  }
});
