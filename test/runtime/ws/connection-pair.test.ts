// The protocol between two krandog Connections, a client and a server, wired in memory through the
// byte sink (no socket, no timer): the close handshake from either side, ping/pong, fragmentation,
// permessage-deflate, and the close codes of a failed connection.
import { describe, expect, it } from 'vitest';
import { acceptDeflateOffer, acceptDeflateResponse, deflateOffer } from '../../../runtime/ws/extensions/permessage-deflate.ts';
import { parseExtensions } from '../../../runtime/ws/extensions/extension-header.ts';
import { ConnectionPair } from '../../helpers/connection-pair.ts';
import { binary, buildFrame, buildFrames, close, cont, OP, ping, readClose, text } from '../../helpers/frames.ts';

const opcodes = (frames: { opcode: number }[]) => frames.map((frame) => frame.opcode);

describe('Connection pair: the close handshake', () => {
  it('client closes first: both report a clean close with its code; the server ends TCP', () => {
    const pair = new ConnectionPair();
    pair.client.close(1000, 'bye');
    expect(pair.client.readyState).toBe(2);
    expect(pair.client.closing).toBe(true);
    pair.flush();
    expect(pair.server.seen.closed).toEqual({ code: 1000, reason: 'bye', wasClean: true });
    // The server echoes the code without the reason (RFC 6455 §5.5.1).
    expect(pair.client.seen.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    expect(readClose(pair.server.framesWritten()[0].payload)).toEqual({ code: 1000, reason: '' });
    expect([pair.client.readyState, pair.server.readyState]).toEqual([3, 3]);
  });

  it('server closes first: the client echoes, both are clean', () => {
    const pair = new ConnectionPair();
    pair.server.close(4000, 'done');
    pair.flush();
    expect(pair.client.seen.closed).toEqual({ code: 4000, reason: 'done', wasClean: true });
    expect(pair.server.seen.closed).toEqual({ code: 4000, reason: '', wasClean: true });
    expect(pair.client.framesWritten().map((frame) => readClose(frame.payload))).toEqual([{ code: 4000, reason: '' }]);
  });

  it('the client waits for the server to end TCP after the Close frames crossed', () => {
    const pair = new ConnectionPair();
    pair.server.close(1000);
    // Hand over the server's Close only: the client echoes but does not end TCP; the server does
    // once the echo arrives.
    pair.client.deliver(Buffer.concat(pair.server.pending.splice(0)));
    expect(pair.client.outputEnded).toBe(false);
    pair.server.deliver(Buffer.concat(pair.client.pending.splice(0)));
    expect(pair.server.outputEnded).toBe(true);
    pair.flush();
    expect(pair.client.seen.closed?.wasClean).toBe(true);
  });

  it('a Close without a body is answered with one and reported as 1005', () => {
    const pair = new ConnectionPair();
    pair.client.close();
    pair.flush();
    expect(pair.server.seen.closed).toEqual({ code: 1005, reason: '', wasClean: true });
    expect(pair.server.framesWritten()[0].payload.length).toBe(0);
    expect(pair.client.seen.closed).toEqual({ code: 1005, reason: '', wasClean: true });
  });

  it('closes that cross on the wire are both clean, each side reporting the code it received', () => {
    const pair = new ConnectionPair();
    pair.client.close(4001);
    pair.server.close(4002);
    pair.flush();
    expect(pair.server.seen.closed).toEqual({ code: 4001, reason: '', wasClean: true });
    expect(pair.client.seen.closed).toEqual({ code: 4002, reason: '', wasClean: true });
    expect(opcodes(pair.client.framesWritten())).toEqual([OP.close]);
  });

  it('a FIN without a Close, and terminate(), end with 1006 and not clean', () => {
    const ended = new ConnectionPair();
    ended.server.send('before the FIN');
    ended.client.outputEnded = true; // the client's TCP ends with no Close frame
    ended.flush();
    expect(ended.server.seen.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(ended.client.seen.messages.map((message) => message.data)).toEqual(['before the FIN']);

    const dropped = new ConnectionPair();
    dropped.client.terminate();
    expect(dropped.client.readyState).toBe(2);
    dropped.flush();
    expect(dropped.client.seen.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(dropped.server.seen.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('sends nothing once closing: send() returns 0, close() does nothing', () => {
    const pair = new ConnectionPair();
    pair.client.close(1000);
    expect(pair.client.send('late')).toBe(0);
    pair.client.close(4000);
    pair.flush();
    expect(opcodes(pair.client.framesWritten())).toEqual([OP.close]);
    expect(pair.server.seen.messages).toEqual([]);
  });
});

describe('Connection pair: messages, ping and pong', () => {
  it('carries text and binary both ways, masked from the client only', () => {
    const pair = new ConnectionPair();
    expect(pair.client.send('héllo')).toBe(6);
    expect(pair.server.send(Buffer.from([1, 2, 3]))).toBe(3);
    pair.client.send(Buffer.from('as text'), true);
    pair.flush();
    expect(pair.server.seen.messages).toEqual([
      { data: 'héllo', isText: true },
      { data: 'as text', isText: true },
    ]);
    expect(pair.client.seen.messages).toEqual([{ data: Buffer.from([1, 2, 3]), isText: false }]);
    expect(pair.client.framesWritten().every((frame) => frame.masked)).toBe(true);
    expect(pair.server.framesWritten().some((frame) => frame.masked)).toBe(false);
  });

  it('answers a ping with a pong carrying the same payload, from either side', () => {
    const pair = new ConnectionPair();
    pair.client.ping(Buffer.from('from client'));
    pair.server.ping(Buffer.from('from server'));
    pair.flush();
    expect(pair.server.seen.pings).toEqual(['from client']);
    expect(pair.client.seen.pongs).toEqual(['from client']);
    expect(pair.client.seen.pings).toEqual(['from server']);
    expect(pair.server.seen.pongs).toEqual(['from server']);
  });

  it('reassembles fragmented messages, with a ping between the fragments', () => {
    const pair = new ConnectionPair();
    pair.inject(pair.client, buildFrames([text('frag', false), ping('mid'), cont('mented', false), cont(' text')], true));
    pair.inject(pair.server, buildFrames([binary('ab', false), cont('cd')], false));
    pair.flush();
    expect(pair.server.seen.messages).toEqual([{ data: 'fragmented text', isText: true }]);
    expect(pair.server.seen.pings).toEqual(['mid']);
    expect(pair.client.seen.messages).toEqual([{ data: Buffer.from('abcd'), isText: false }]);
  });

  it('reads a message split in the middle of a frame and of a UTF-8 sequence', () => {
    const pair = new ConnectionPair();
    const bytes = buildFrames([text('€ sign')], true);
    pair.server.deliver(bytes.subarray(0, 7)); // header (6) + the first byte of '€'
    expect(pair.server.seen.messages).toEqual([]);
    pair.server.deliver(bytes.subarray(7));
    expect(pair.server.seen.messages).toEqual([{ data: '€ sign', isText: true }]);
  });
});

describe('Connection pair: permessage-deflate', () => {
  function deflatePair(threshold = 0) {
    const serverDeflate = acceptDeflateOffer(parseExtensions(deflateOffer()), { threshold })!;
    const clientDeflate = acceptDeflateResponse(parseExtensions(serverDeflate.extension)[0], serverDeflate.extension, { threshold });
    return new ConnectionPair({ client: { deflate: clientDeflate }, server: { deflate: serverDeflate } });
  }

  it('compresses both ways (RSV1 on the frame) and inflates what arrives', () => {
    const pair = deflatePair();
    const message = 'compress me '.repeat(200);
    expect(pair.client.send(message)).toBe(message.length);
    expect(pair.server.send(Buffer.from(message))).toBe(message.length);
    pair.flush();
    expect(pair.server.seen.messages).toEqual([{ data: message, isText: true }]);
    expect(pair.client.seen.messages).toEqual([{ data: Buffer.from(message), isText: false }]);
    for (const side of [pair.client, pair.server]) {
      const [frame] = side.framesWritten();
      expect(frame.rsv).toBe(4);
      expect(frame.payload.length).toBeLessThan(message.length / 10);
    }
    expect(pair.client.extensions).toMatch(/^permessage-deflate/);
  });

  it('sends messages under the threshold uncompressed', () => {
    const pair = deflatePair(1024);
    pair.client.send('short');
    pair.flush();
    expect(pair.client.framesWritten()[0].rsv).toBe(0);
    expect(pair.server.seen.messages).toEqual([{ data: 'short', isText: true }]);
  });

  it('fails with 1007 on compressed bytes that are not DEFLATE data, and on inflated text that is not UTF-8', () => {
    const garbage = deflatePair();
    garbage.inject(garbage.client, buildFrame({ opcode: OP.text, rsv: 4, payload: Buffer.from([0xff, 0xff, 0xff]), mask: true }));
    garbage.flush();
    expect(garbage.server.seen.errors.map((error) => (error as { code?: string }).code)).toEqual(['KRANDOG_WS_BAD_COMPRESSION']);
    expect(garbage.server.seen.closed?.code).toBe(1007);

    const latin1 = deflatePair();
    const serverDeflate = acceptDeflateOffer(parseExtensions(deflateOffer()))!;
    latin1.inject(latin1.client, buildFrame({ opcode: OP.text, rsv: 4, payload: serverDeflate.compress(Buffer.from([0xe9])), mask: true }));
    latin1.flush();
    expect(latin1.server.seen.closed?.code).toBe(1007);
    expect(latin1.server.seen.messages).toEqual([]);
  });
});

describe('Connection pair: failing the connection', () => {
  const cases: Array<[string, Buffer, number, string]> = [
    ['invalid UTF-8 text', buildFrame({ opcode: OP.text, payload: Buffer.from([0xc3, 0x28]), mask: true }), 1007, 'KRANDOG_WS_INVALID_UTF8'],
    ['an unmasked client frame', buildFrame({ opcode: OP.text, payload: 'x' }), 1002, 'KRANDOG_WS_UNMASKED_FRAME'],
    ['RSV1 without an extension', buildFrame({ opcode: OP.text, rsv: 4, payload: 'x', mask: true }), 1002, 'KRANDOG_WS_RESERVED_BITS'],
    ['a reserved opcode', buildFrame({ opcode: 3, mask: true }), 1002, 'KRANDOG_WS_BAD_OPCODE'],
    ['a continuation with no message', buildFrame({ opcode: OP.cont, payload: 'x', mask: true }), 1002, 'KRANDOG_WS_UNEXPECTED_CONTINUATION'],
    ['a close code that may not be sent', buildFrame({ ...close(1005), mask: true }), 1002, 'KRANDOG_WS_BAD_CLOSE_CODE'],
    ['a message over maxPayload', buildFrame({ opcode: OP.binary, payload: Buffer.alloc(65), mask: true }), 1009, 'KRANDOG_WS_MESSAGE_TOO_BIG'],
  ];

  it.each(cases)('on %s: Close with %i, error %s, TCP ended; the peer sees the code', (_, frame, code, errorCode) => {
    const pair = new ConnectionPair({ server: { maxPayload: 64 } });
    pair.inject(pair.client, Buffer.concat([buildFrame({ ...text('before'), mask: true }), frame, buildFrame({ ...text('after'), mask: true })]));
    pair.flush();
    const server = pair.server;
    expect(server.seen.messages.map((message) => message.data)).toEqual(['before']);
    expect(server.seen.errors.map((error) => (error as { code?: string }).code)).toEqual([errorCode]);
    expect(readClose(server.framesWritten().at(-1)!.payload).code).toBe(code);
    expect(server.seen.closed).toMatchObject({ code, wasClean: false });
    expect(pair.client.seen.closed?.code).toBe(code);
  });

  it('with deferFailure, stays open for what the earlier messages send, then sends the Close', () => {
    const deferred: Array<() => void> = [];
    const pair = new ConnectionPair({ client: { deferFailure: (fail) => deferred.push(fail) } });
    pair.inject(pair.server, buildFrames([text('first'), { opcode: 3 }], false));
    pair.flush();
    expect(pair.client.seen.messages.map((message) => message.data)).toEqual(['first']);
    expect(pair.client.seen.errors).toHaveLength(1);
    expect(pair.client.readyState).toBe(1);
    expect(pair.client.send('reply to first')).toBe(14);
    expect(deferred).toHaveLength(1);
    deferred[0]();
    pair.flush();
    expect(pair.server.seen.messages.map((message) => message.data)).toEqual(['reply to first']);
    expect(opcodes(pair.client.framesWritten())).toEqual([OP.text, OP.close]);
    expect(readClose(pair.client.framesWritten()[1].payload).code).toBe(1002);
    expect(pair.client.seen.closed).toMatchObject({ code: 1002, wasClean: false });
  });

  it('with deferFailure, a close() from an earlier message replaces the failure Close', () => {
    const deferred: Array<() => void> = [];
    const pair = new ConnectionPair({ client: { deferFailure: (fail) => deferred.push(fail) } });
    pair.inject(pair.server, buildFrames([text('first'), { opcode: 3 }], false));
    pair.flush();
    pair.client.close(4000);
    deferred[0]();
    pair.flush();
    expect(pair.client.framesWritten().map((frame) => readClose(frame.payload).code)).toEqual([4000]);
    // The failure still decides what the client reports.
    expect(pair.client.seen.closed).toMatchObject({ code: 1002, wasClean: false });
  });
});
