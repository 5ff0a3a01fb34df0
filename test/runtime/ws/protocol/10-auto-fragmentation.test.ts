// Autobahn|Testsuite category 10, Misc: a 64 KiB text message that the peer auto-fragments into
// 1300-byte frames is reassembled and echoed as one message.
import { describe, it } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { OP, type FrameSpec } from '../../../helpers/frames.ts';
import { textMessage } from '../../../helpers/parser-run.ts';

describe('Autobahn 10 auto-fragmentation', () => {
  it('10.1.1 reassembles and echoes a 65536-byte text message sent in 1300-byte frames', async () => {
    const payload = Buffer.alloc(65536, '*');
    const frames: FrameSpec[] = [];
    for (let offset = 0; offset < payload.length; offset += 1300) {
      const end = Math.min(payload.length, offset + 1300);
      frames.push({ opcode: offset === 0 ? OP.text : OP.cont, payload: payload.subarray(offset, end), fin: end === payload.length });
    }
    // 50 full frames and one of 536 bytes, as Autobahn counts them.
    if (frames.length !== 51) throw new Error(`expected 51 frames, built ${frames.length}`);
    await checkCase({ id: '10.1.1', title: '', frames, events: [textMessage(payload.toString())] });
  });
});
