// The client fails a connection for a bad frame only after the frames before it have had their
// effect: the message that came first is dispatched, the echo its listener sends goes out, then the
// Close 1002, and nothing after the bad frame is delivered or answered (no pong): Autobahn 3.2,
// 3.3, 4.1.3, 4.1.4, 4.2.3, 4.2.4 and 5.15, strict.
import { afterEach, describe, expect, it } from 'vitest';
import { BAD_FRAME_AFTER_MESSAGE } from '../../../helpers/bad-frame-cases.ts';
import { buildFrame, OP, readClose, text, type FrameSpec } from '../../../helpers/frames.ts';
import { closed, next, record, WebSocket } from '../../../helpers/ws-client.ts';
import { startRawServer, stopRawServers } from '../../../helpers/raw-ws-server.ts';

afterEach(stopRawServers);

/** One write, or one write per frame with a pause between them (Autobahn's "sync" sends). */
const deliveries: Array<[name: string, send: (write: (bytes: Buffer) => void, frames: FrameSpec[]) => Promise<void>]> = [
  ['in one write', async (write, frames) => write(Buffer.concat(frames.map(buildFrame)))],
  [
    'in separate writes',
    async (write, frames) => {
      for (const frame of frames) {
        write(buildFrame(frame));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  ],
];

describe.each(deliveries)('a good message, then a bad frame, %s', (_name, send) => {
  it.each(BAD_FRAME_AFTER_MESSAGE.map((c) => [c.id, c] as const))('%s: the echo goes out before the Close 1002, no pong, close 1006', async (_id, { frames, delivered }) => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url);
    const events = record(ws);
    const done = closed(ws);
    ws.onmessage = (event) => ws.send((event as MessageEvent).data as string);
    const connection = await server.nextConnection();
    connection.accept();
    await next(ws, 'open');
    await send((bytes) => connection.write(bytes), frames);
    await connection.ended;
    const wire = connection.frames.map((frame) => ({ opcode: frame.opcode, masked: frame.masked, payload: frame.payload }));
    expect(wire.map((frame) => frame.opcode)).toEqual([OP.text, OP.close]);
    expect(wire[0]).toMatchObject({ masked: true, payload: Buffer.from(delivered) });
    expect(readClose(wire[1].payload).code).toBe(1002);
    await done;
    expect(events).toEqual([
      { type: 'open', readyState: WebSocket.OPEN },
      { type: 'message', data: delivered },
      { type: 'error', readyState: WebSocket.CLOSED },
      { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
    ]);
  });
});

describe('what the listeners do before the failure', () => {
  it('sends what a listener sends after awaiting a promise, and a close() it calls wins over the 1002', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url);
    const events = record(ws);
    const done = closed(ws);
    ws.onmessage = async (event) => {
      await Promise.resolve();
      ws.send(`re: ${(event as MessageEvent).data}`);
      ws.close(4000, 'my own close');
    };
    const connection = await server.nextConnection();
    connection.accept();
    await next(ws, 'open');
    connection.write(Buffer.concat([text('a'), { opcode: 3 }, text('b')].map(buildFrame)));
    await connection.ended;
    const [reply, closeFrame, ...rest] = connection.frames;
    expect([reply.opcode, reply.payload.toString()]).toEqual([OP.text, 're: a']);
    expect(readClose(closeFrame.payload)).toEqual({ code: 4000, reason: 'my own close' });
    expect(rest).toEqual([]);
    await done;
    // The connection still failed: no Close came from the server.
    expect(events.map((event) => event.type)).toEqual(['open', 'message', 'error', 'close']);
    expect(events[3]).toMatchObject({ code: 1006, wasClean: false });
  });

  it('delivers the message when the server ends TCP right behind the bad frame', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url);
    const events = record(ws);
    const done = closed(ws);
    const connection = await server.nextConnection();
    connection.accept();
    await next(ws, 'open');
    connection.socket.end(Buffer.concat([text('last'), { opcode: 3 }].map(buildFrame)));
    await done;
    expect(events.map((event) => (event.type === 'message' ? event.data : event.type))).toEqual(['open', 'last', 'error', 'close']);
    expect(events[3]).toMatchObject({ code: 1006, wasClean: false });
  });
});
