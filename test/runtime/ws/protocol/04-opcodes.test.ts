// Autobahn|Testsuite category 4, Opcodes (RFC 6455 §5.2): the reserved non-control opcodes 3-7 and
// control opcodes 11-15 fail the connection with 1002. A message before the bad frame is echoed;
// the ping after it is not answered.
import { describe, it } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { ping, text, type FrameSpec } from '../../../helpers/frames.ts';
import { protocolError, textMessage } from '../../../helpers/parser-run.ts';

const BAD_OPCODE = protocolError(1002, 'KRANDOG_WS_BAD_OPCODE');

/** The five cases of one group: opcode alone, with payload, then three after a good message. */
function opcodeCases(group: string, opcodes: readonly number[]): void {
  const [first, second, ...rest] = opcodes;
  it(`${group}.1 fails a frame with reserved opcode ${first}`, async () => {
    await checkCase({ id: `${group}.1`, title: '', frames: [{ opcode: first }], events: [BAD_OPCODE] });
  });
  it(`${group}.2 fails a frame with reserved opcode ${second} and a payload`, async () => {
    const frames: FrameSpec[] = [{ opcode: second, payload: 'reserved opcode payload' }];
    await checkCase({ id: `${group}.2`, title: '', frames, events: [BAD_OPCODE] });
  });
  rest.forEach((opcode, index) => {
    const id = `${group}.${index + 3}`;
    const payload = index === 0 ? undefined : 'reserved opcode payload';
    it(`${id} echoes a message, fails reserved opcode ${opcode}, ignores the ping after it`, async () => {
      await checkCase({
        id,
        title: '',
        frames: [text('Hello, world!'), { opcode, payload }, ping()],
        events: [textMessage('Hello, world!'), BAD_OPCODE],
      });
    });
  });
}

describe('Autobahn 4.1 reserved non-control opcodes', () => opcodeCases('4.1', [3, 4, 5, 6, 7]));
describe('Autobahn 4.2 reserved control opcodes', () => opcodeCases('4.2', [11, 12, 13, 14, 15]));
