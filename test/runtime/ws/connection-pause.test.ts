// Connection.pause()/resume() without I/O: a pause from a message handler stops the parser after
// that message, keeps the rest of the read, and resume() goes on from there, whatever the chunk
// boundaries; the peer's FIN waits behind the held bytes; the transport is told to stop and read again.
import { describe, expect, it } from 'vitest';
import { MemoryConnection } from '../../helpers/connection-pair.ts';
import { binary, buildFrames, close, cont, OP, ping, text, type FrameSpec } from '../../helpers/frames.ts';

/** A server-side connection that pauses after every message when `pauseEach` is set. */
class PausingConnection extends MemoryConnection {
  pauseEach = true;
  transport: string[] = [];

  constructor() {
    super(true, {});
  }

  override onMessage(payload: Buffer, isText: boolean, isCompressed: boolean, isCheckedText: boolean): void {
    super.onMessage(payload, isText, isCompressed, isCheckedText);
    if (this.pauseEach) this.pause();
  }

  protected override pauseInput(): void {
    this.transport.push('pause');
  }

  protected override resumeInput(): void {
    this.transport.push('resume');
  }

  texts(): string[] {
    return this.seen.messages.map((message) => message.data.toString());
  }

  pongs(): number {
    return this.framesWritten().filter((frame) => frame.opcode === OP.pong).length;
  }
}

const conversation: FrameSpec[] = [
  text('one'),
  ping('p1'),
  binary('tw', false),
  ping('p2'),
  cont('o'),
  text('three'),
  text('four'),
  close(1000, 'bye'),
];
const wire = () => buildFrames(conversation, true);

describe('Connection.pause() from a message handler', () => {
  it('holds everything after the message, pings included, until resume()', () => {
    const connection = new PausingConnection();
    connection.deliver(wire());
    expect(connection.texts()).toEqual(['one']);
    expect(connection.isPaused).toBe(true);
    expect(connection.pongs()).toBe(0);
    expect(connection.transport).toEqual(['pause']);

    connection.resume();
    expect(connection.texts()).toEqual(['one', 'two']);
    expect(connection.pongs()).toBe(2);
    connection.resume();
    connection.resume();
    expect(connection.texts()).toEqual(['one', 'two', 'three', 'four']);
    expect(connection.readyState).toBe(1);
    // The last resume reads the Close: the handshake goes on, and the transport reads again.
    connection.resume();
    expect(connection.readyState).toBe(2);
    expect(connection.outputEnded).toBe(true);
    expect(connection.transport.at(-1)).toBe('resume');
  });

  it('loses and reorders nothing whatever the chunk boundaries', () => {
    for (const piece of [1, 2, 3, 5, 7, 13]) {
      const bytes = wire(); // fresh: the parser unmasks in place
      const connection = new PausingConnection();
      for (let offset = 0; offset < bytes.length; offset += piece) {
        connection.deliver(bytes.subarray(offset, offset + piece));
        // Resume as soon as a read paused, as an async handler would later.
        while (connection.isPaused) connection.resume();
      }
      expect(connection.seen.errors.map(String), `pieces of ${piece}`).toEqual([]);
      expect(connection.texts(), `pieces of ${piece}`).toEqual(['one', 'two', 'three', 'four']);
      expect(connection.pongs()).toBe(2);
      expect(connection.outputEnded).toBe(true);
    }
  });

  it('reads that arrive while paused wait behind the held bytes', () => {
    const bytes = wire();
    const connection = new PausingConnection();
    connection.deliver(bytes.subarray(0, 20));
    connection.deliver(bytes.subarray(20, 31));
    connection.deliver(bytes.subarray(31));
    expect(connection.texts()).toEqual(['one']);
    while (connection.isPaused) connection.resume();
    expect(connection.texts()).toEqual(['one', 'two', 'three', 'four']);
  });

  it('a pause and resume within one handler go straight on with the read', () => {
    const connection = new PausingConnection();
    connection.pauseEach = false;
    const original = connection.onMessage.bind(connection);
    connection.onMessage = (...args) => {
      original(...args);
      connection.pause();
      connection.resume();
    };
    connection.deliver(wire());
    expect(connection.texts()).toEqual(['one', 'two', 'three', 'four']);
    expect(connection.isPaused).toBe(false);
    expect(connection.transport.at(-1)).toBe('resume');
  });

  it("keeps the peer's FIN behind the held bytes: the messages come first, then the end", () => {
    const connection = new PausingConnection();
    connection.deliver(buildFrames([text('a'), text('b')], true));
    connection.deliverEnd();
    expect(connection.texts()).toEqual(['a']);
    expect(connection.outputEnded).toBe(false);
    connection.resume();
    expect(connection.texts()).toEqual(['a', 'b']);
    expect(connection.outputEnded).toBe(false);
    connection.resume();
    expect(connection.outputEnded).toBe(true);
    connection.deliverClosed();
    expect(connection.seen.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('does nothing once closing, and close() reads on so the handshake can finish', () => {
    const connection = new PausingConnection();
    connection.deliver(buildFrames([text('a'), text('b'), close(1000)], true));
    expect(connection.isPaused).toBe(true);
    connection.close(4000, 'done');
    expect(connection.isPaused).toBe(false);
    // 'b' came after our Close: not delivered; the peer's Close completes the handshake.
    expect(connection.texts()).toEqual(['a']);
    expect(connection.outputEnded).toBe(true);
    connection.pause();
    expect(connection.isPaused).toBe(false);
  });
});
