// Connection behaviour outside the Autobahn categories: bytes that came with the handshake,
// local misuse, and what happens once the connection is closing or gone.
import { describe, it, expect } from 'vitest';
import { SocketConnection as Connection } from '../../../runtime/ws/transport/socket-transport.ts';
import { createDuplexPair } from '../../helpers/duplex-pair.ts';
import { buildFrames, close, decodeFrames, OP, ping, readClose, text } from '../../helpers/frames.ts';
import { RawPeer, settle, type CloseRecord } from '../../helpers/ws-peer.ts';
import { within } from '../../helpers/within.ts';

describe('Connection', () => {
  it('treats the bytes that arrived with the handshake (head) as the first frames, even a split one', async () => {
    const [local, raw] = createDuplexPair();
    const received: string[] = [];
    let closed!: (record: CloseRecord) => void;
    const onClose = new Promise<CloseRecord>((resolve) => (closed = resolve));
    const connection = new Connection(local, { isServer: true }, {
      onMessage: (data) => received.push(data as string),
      onClose: (code, reason, wasClean) => closed({ code, reason, wasClean }),
    });
    const bytes = buildFrames([text('in head'), text('split across head and the first read'), close(1000)], true);
    // Cut 5 bytes into the second frame: past its header, inside its payload.
    const cut = buildFrames([text('in head')], true).length + 5;
    const replies: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => replies.push(chunk));
    connection.start(bytes.subarray(0, cut));
    expect(received).toEqual(['in head']);
    raw.write(bytes.subarray(cut));
    expect(await within(onClose, 5_000, 'never closed')).toEqual({ code: 1000, reason: '', wasClean: true });
    expect(received).toEqual(['in head', 'split across head and the first read']);
    expect(decodeFrames(Buffer.concat(replies)).frames.map((f) => readClose(f.payload).code)).toEqual([1000]);
  });

  it('rejects a ping payload over 125 bytes with RangeError and stays open', async () => {
    const peer = await RawPeer.open('memory');
    try {
      expect(() => peer.connection.ping(Buffer.alloc(126))).toThrow(RangeError);
      peer.connection.ping(Buffer.from('ok'));
      await settle();
      expect(peer.received().frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([[OP.ping, 'ok']]);
      expect(peer.connection.readyState).toBe(1);
    } finally {
      await peer.dispose();
    }
  });

  it('drops sends and pings once closing, and reports 0 for them', async () => {
    const peer = await RawPeer.open('memory');
    try {
      peer.connection.close(1000);
      expect(peer.connection.send('too late')).toBe(0);
      expect(peer.connection.send(Buffer.alloc(20_000))).toBe(0);
      peer.connection.ping();
      // A ping from the peer while we wait for its close is not answered either.
      peer.write([buildFrames([ping('late')], true)]);
      await settle();
      expect(peer.received().frames.map((f) => f.opcode)).toEqual([OP.close]);
    } finally {
      await peer.dispose();
    }
  });

  it('terminate() drops TCP at once and reports 1006, not clean', async () => {
    const peer = await RawPeer.open('tcp');
    try {
      peer.connection.terminate();
      expect(await within(peer.closed, 5_000, 'never closed')).toEqual({ code: 1006, reason: '', wasClean: false });
      expect(peer.received().frames).toEqual([]);
    } finally {
      await peer.dispose();
    }
  });

  it('a protocol error while our own close is pending ends TCP without a second close frame', async () => {
    const peer = await RawPeer.open('memory');
    try {
      peer.connection.close(1001);
      peer.write([buildFrames([{ opcode: 3 }], true)]);
      const record = await peer.finish();
      expect(record).toMatchObject({ code: 1002, wasClean: false });
      expect(peer.received().frames.map((f) => readClose(f.payload).code)).toEqual([1001]);
    } finally {
      await peer.dispose();
    }
  });
});
