// The Autobahn|Testsuite cases where a peer sends a good message, then a frame that breaks the
// protocol, then (mostly) a ping: the message must have its effect (an echo goes out), then the
// connection fails with 1002 and nothing after the bad frame is delivered or answered.
// Frames as in autobahntestsuite/case/case3_2.py, case3_3.py, case4_1_3.py, case4_1_4.py,
// case4_2_3.py, case4_2_4.py and case5_15.py.
import { cont, ping, text, type FrameSpec } from './frames.ts';

export interface BadFrameCase {
  id: string;
  frames: FrameSpec[];
  /** The one message that arrives before the bad frame. */
  delivered: string;
}

const HELLO = 'Hello, world!';

export const BAD_FRAME_AFTER_MESSAGE: readonly BadFrameCase[] = [
  { id: '3.2 (RSV = 2)', frames: [text(HELLO), { ...text(HELLO), rsv: 2 }, ping()], delivered: HELLO },
  { id: '3.3 (RSV = 3)', frames: [text(HELLO), { ...text(HELLO), rsv: 3 }, ping()], delivered: HELLO },
  { id: '4.1.3 (opcode 5)', frames: [text(HELLO), { opcode: 5 }, ping()], delivered: HELLO },
  { id: '4.1.4 (opcode 6 with a payload)', frames: [text(HELLO), { opcode: 6, payload: HELLO }, ping()], delivered: HELLO },
  { id: '4.2.3 (opcode 13)', frames: [text(HELLO), { opcode: 13 }, ping()], delivered: HELLO },
  { id: '4.2.4 (opcode 14 with a payload)', frames: [text(HELLO), { opcode: 14, payload: HELLO }, ping()], delivered: HELLO },
  // A message in two fragments, a continuation with nothing to continue, then a text message.
  {
    id: '5.15 (a stray continuation)',
    frames: [text('fragment1', false), cont('fragment2'), cont('fragment3', false), text('fragment4')],
    delivered: 'fragment1fragment2',
  },
];
