// Autobahn|Testsuite category 7, Close handling (RFC 6455 §5.5.1, §7): nothing is processed after
// a close frame; the status code is echoed; a 1-byte body, a reason that is not UTF-8 and codes
// that may not appear on the wire fail the connection; the server ends TCP in every case.
import { describe, it, expect } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { buildFrame, close, cont, OP, ping, readClose, text, type FrameSpec } from '../../../helpers/frames.ts';
import { control, protocolError, textMessage } from '../../../helpers/parser-run.ts';
import { RawPeer, settle } from '../../../helpers/ws-peer.ts';
import { within } from '../../../helpers/within.ts';
import { KOSME } from '../../../helpers/utf8-vectors.ts';
import { encodeClosePayload, isValidCloseCode, parseClosePayload } from '../../../../runtime/ws/protocol/close-payload.ts';
import { ProtocolError } from '../../../../runtime/ws/protocol/errors.ts';

const closeEvent = (code?: number, reason: string | Uint8Array = '') => control(OP.close, close(code, reason).payload as Uint8Array);
const failedWith = (code: number) => ({
  reply: [{ close: code, reason: expect.any(String) }],
  close: { code, wasClean: false },
});

describe('Autobahn 7.1 nothing after a close frame', () => {
  it('7.1.1 echoes a message, then completes the close handshake', async () => {
    await checkCase({
      id: '7.1.1',
      title: '',
      frames: [text('Hello World!'), close(1000)],
      events: [textMessage('Hello World!'), closeEvent(1000)],
    });
  });

  it('7.1.2 ignores a second close frame', async () => {
    await checkCase({ id: '7.1.2', title: '', frames: [close(1000), close(1000)], events: [closeEvent(1000)] });
  });

  it('7.1.3 does not answer a ping after the close frame', async () => {
    await checkCase({ id: '7.1.3', title: '', frames: [close(1000), ping('ping payload')], events: [closeEvent(1000)] });
  });

  it('7.1.4 does not deliver a message after the close frame', async () => {
    await checkCase({ id: '7.1.4', title: '', frames: [close(1000), text('Hello World!')], events: [closeEvent(1000)] });
  });

  it('7.1.5 drops a fragmented message interrupted by a close frame', async () => {
    await checkCase({
      id: '7.1.5',
      title: '',
      frames: [text('fragment1', false), close(1000), cont('fragment2')],
      events: [closeEvent(1000)],
    });
  });

  it('7.1.6 (informational) delivers a 256 KiB message and the next one before a close', async () => {
    const big = 'BAsd7&jh23'.repeat(26215).slice(0, 256 * 1024);
    await checkCase({
      id: '7.1.6',
      title: '',
      frames: [text(big), text('Hello World!'), close(1000), ping()],
      events: [textMessage(big), textMessage('Hello World!'), closeEvent(1000)],
    });
  });
});

describe('Autobahn 7.3 close frame bodies', () => {
  it('7.3.1 answers an empty close with an empty close (code 1005 locally)', async () => {
    await checkCase({ id: '7.3.1', title: '', frames: [close()], events: [closeEvent()] });
  });

  it('7.3.2 fails a close body of 1 byte with 1002', async () => {
    const frames: FrameSpec[] = [{ opcode: OP.close, payload: 'a' }];
    await checkCase({ id: '7.3.2', title: '', frames, events: [control(OP.close, 'a')], ...failedWith(1002) });
  });

  it('7.3.3 echoes close 1000', async () => {
    await checkCase({ id: '7.3.3', title: '', frames: [close(1000)], events: [closeEvent(1000)] });
  });

  it('7.3.4 echoes close 1000 with a reason (the reason is reported, not echoed)', async () => {
    await checkCase({
      id: '7.3.4',
      title: '',
      frames: [close(1000, 'Hello World!')],
      events: [closeEvent(1000, 'Hello World!')],
    });
  });

  it('7.3.5 echoes close 1000 with a 123-byte reason', async () => {
    const reason = '*'.repeat(123);
    await checkCase({ id: '7.3.5', title: '', frames: [close(1000, reason)], events: [closeEvent(1000, reason)] });
  });

  it('7.3.6 fails close 1000 with a 124-byte reason (126-byte control frame) with 1002', async () => {
    await checkCase({
      id: '7.3.6',
      title: '',
      frames: [close(1000, '*'.repeat(124))],
      events: [protocolError(1002, 'KRANDOG_WS_CONTROL_TOO_LONG')],
    });
  });
});

describe('Autobahn 7.5 close reason encoding', () => {
  it('7.5.1 fails a close reason that is not UTF-8 with 1007', async () => {
    const reason = Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), Buffer.from('edited')]);
    await checkCase({ id: '7.5.1', title: '', frames: [close(1000, reason)], events: [closeEvent(1000, reason)], ...failedWith(1007) });
  });
});

describe('Autobahn 7.7 valid close codes are echoed', () => {
  [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, index) => {
    it(`7.7.${index + 1} echoes close code ${code}`, async () => {
      await checkCase({ id: `7.7.${index + 1}`, title: '', frames: [close(code)], events: [closeEvent(code)] });
    });
  });
});

describe('Autobahn 7.9 invalid close codes fail with 1002', () => {
  [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].forEach((code, index) => {
    it(`7.9.${index + 1} fails close code ${code} with 1002`, async () => {
      await checkCase({ id: `7.9.${index + 1}`, title: '', frames: [close(code)], events: [closeEvent(code)], ...failedWith(1002) });
    });
  });
});

describe('Autobahn 7.13 codes outside the registry (informational)', () => {
  it('7.13.1 fails close code 5000 with 1002', async () => {
    await checkCase({ id: '7.13.1', title: '', frames: [close(5000)], events: [closeEvent(5000)], ...failedWith(1002) });
  });

  it('7.13.2 fails close code 65535 with 1002', async () => {
    await checkCase({ id: '7.13.2', title: '', frames: [close(65535)], events: [closeEvent(65535)], ...failedWith(1002) });
  });
});

describe('close payloads', () => {
  /** RFC 6455 §7.4.1-2 and the IANA registry: what may be sent in a close frame. */
  const mayBeSent = (code: number) =>
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

  it('accepts exactly the codes that may appear on the wire, over all 16-bit values', () => {
    const disagreements = [];
    for (let code = 0; code <= 0xffff; code++) if (isValidCloseCode(code) !== mayBeSent(code)) disagreements.push(code);
    expect(disagreements).toEqual([]);
  });

  it('reads back what it writes, and reads an empty body as 1005', () => {
    expect(parseClosePayload(encodeClosePayload(4321, 'ünïcode reason'))).toEqual({ code: 4321, reason: 'ünïcode reason' });
    expect(parseClosePayload(encodeClosePayload())).toEqual({ code: 1005, reason: '' });
  });

  it('refuses to write a reason over 123 bytes', () => {
    expect(encodeClosePayload(1000, 'é'.repeat(61)).length).toBe(124);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError);
  });

  it('reports malformed bodies as ProtocolErrors with their close code', () => {
    const codeOf = (body: Uint8Array) => {
      try {
        parseClosePayload(body);
      } catch (error) {
        return error instanceof ProtocolError ? error.closeCode : 'not a ProtocolError';
      }
      return 'accepted';
    };
    expect(codeOf(Uint8Array.of(0x03))).toBe(1002);
    expect(codeOf(encodeClosePayload(1005))).toBe(1002);
    expect(codeOf(Buffer.concat([encodeClosePayload(1000), Buffer.from('c0af', 'hex')]))).toBe(1007);
  });
});

describe('Connection close handshake', () => {
  it('server closes first: sends its code and reason, ends TCP once the echo arrives', async () => {
    for (const transport of ['memory', 'tcp'] as const) {
      const peer = await RawPeer.open(transport);
      try {
        peer.connection.close(4000, 'bye');
        await settle();
        expect(peer.received().frames.map((f) => [f.opcode, readClose(f.payload)]), transport).toEqual([
          [OP.close, { code: 4000, reason: 'bye' }],
        ]);
        // Messages the peer sent before seeing our close are no longer delivered.
        peer.write([buildFrame({ ...text('late'), mask: true }), buildFrame({ ...close(4000), mask: true })]);
        expect(await peer.finish(), transport).toEqual({ code: 4000, reason: '', wasClean: true });
        expect(peer.received().frames, transport).toHaveLength(1);
      } finally {
        await peer.dispose();
      }
    }
  });

  it('server, handshake done: closes TCP once its FIN left, without waiting for the peer\'s (RFC 6455 §7.1.1)', async () => {
    // The peer keeps its side open: the close timeout is 60 s, so only closing first ends this in time.
    const peer = await RawPeer.open('tcp', { halfOpen: true });
    try {
      peer.write([buildFrame({ ...close(1000), mask: true })]);
      expect(await within(peer.closed, 5_000, 'the server waited for the peer to end TCP')).toEqual({ code: 1000, reason: '', wasClean: true });
      await within(peer.ended, 5_000, 'no FIN from the server');
      expect(peer.received().frames.map((f) => [f.opcode, readClose(f.payload)])).toEqual([[OP.close, { code: 1000, reason: '' }]]);
      // The server let go although the peer never ended its side.
      expect(peer.raw.writableEnded).toBe(false);
    } finally {
      await peer.dispose();
    }
  });

  it('server closes first and the peer never answers: the close timeout drops TCP (1006)', async () => {
    const peer = await RawPeer.open('memory', { closeTimeoutMs: 10 });
    try {
      peer.connection.close(1000);
      expect(await peer.finish()).toEqual({ code: 1006, reason: '', wasClean: false });
    } finally {
      await peer.dispose();
    }
  });

  it('client role: echoes a close masked and leaves ending TCP to the server', async () => {
    const peer = await RawPeer.open('memory', { isServer: false });
    try {
      peer.write([buildFrame(close(1001, 'going'))]);
      await settle();
      const [echo] = peer.received().frames;
      expect(echo).toMatchObject({ opcode: OP.close, masked: true });
      expect(readClose(echo.payload).code).toBe(1001);
      expect(peer.hasEnded, 'the client must not end TCP first (RFC 6455 §7.1.1)').toBe(false);
      peer.raw.end();
      expect(await peer.closed).toEqual({ code: 1001, reason: 'going', wasClean: true });
    } finally {
      await peer.dispose();
    }
  });

  it('client role: a protocol error sends a masked close with the error code', async () => {
    const peer = await RawPeer.open('memory', { isServer: false });
    try {
      peer.write([buildFrame({ opcode: 3 })]);
      await settle();
      const frames = peer.received().frames;
      expect(frames.map((f) => [f.opcode, f.masked, readClose(f.payload).code])).toEqual([[OP.close, true, 1002]]);
    } finally {
      await peer.dispose();
    }
  });

  it('close() with a reason over 123 bytes throws RangeError and leaves the connection open', async () => {
    const peer = await RawPeer.open('memory');
    try {
      expect(() => peer.connection.close(1000, 'x'.repeat(124))).toThrow(RangeError);
      expect(peer.connection.readyState).toBe(1);
      // Still usable: it sends, and a later close goes out.
      peer.connection.send('still open');
      peer.connection.close(1000, 'x'.repeat(123));
      await settle();
      const frames = peer.received().frames;
      expect(frames.map((f) => f.opcode)).toEqual([OP.text, OP.close]);
      expect(readClose(frames[1].payload)).toEqual({ code: 1000, reason: 'x'.repeat(123) });
    } finally {
      await peer.dispose();
    }
  });

  it('close() refuses codes that may not appear on the wire (RFC 6455 §7.4.1) and sends nothing', async () => {
    const peer = await RawPeer.open('memory');
    try {
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000]) {
        expect(() => peer.connection.close(code), `code ${code}`).toThrow(RangeError);
      }
      expect(peer.connection.readyState).toBe(1);
      await settle();
      expect(peer.received().frames).toEqual([]);
    } finally {
      await peer.dispose();
    }
  });

  it('a peer that ends TCP without a close frame closes with 1006, not clean', async () => {
    const peer = await RawPeer.open('tcp');
    try {
      peer.raw.end();
      expect(await peer.finish()).toEqual({ code: 1006, reason: '', wasClean: false });
    } finally {
      await peer.dispose();
    }
  });
});
