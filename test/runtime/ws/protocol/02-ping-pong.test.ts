// Autobahn|Testsuite category 2, Pings/Pongs (RFC 6455 §5.5.2-3): a ping is answered with a pong
// carrying the same payload; a ping over 125 bytes fails with 1002; unsolicited pongs are ignored.
import { describe, it, expect } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { buildFrame, OP, ping, pong } from '../../../helpers/frames.ts';
import { control, protocolError } from '../../../helpers/parser-run.ts';
import { RawPeer, settle } from '../../../helpers/ws-peer.ts';

const BINARY_PAYLOAD = Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff);
const TEN_PAYLOADS = Array.from({ length: 10 }, (_, i) => `payload-${i}`);

describe('Autobahn 2 pings and pongs', () => {
  it('2.1 answers a ping without payload with an empty pong', async () => {
    await checkCase({ id: '2.1', title: '', frames: [ping()], events: [control(OP.ping)] });
  });

  it('2.2 answers a ping with a small text payload with the same payload', async () => {
    await checkCase({ id: '2.2', title: '', frames: [ping('Hello, world!')], events: [control(OP.ping, 'Hello, world!')] });
  });

  it('2.3 answers a ping with a small binary payload with the same payload', async () => {
    await checkCase({ id: '2.3', title: '', frames: [ping(BINARY_PAYLOAD)], events: [control(OP.ping, BINARY_PAYLOAD)] });
  });

  it('2.4 answers a ping with a 125-byte binary payload', async () => {
    const payload = Buffer.alloc(125, 0xfe);
    await checkCase({ id: '2.4', title: '', frames: [ping(payload)], events: [control(OP.ping, payload)] });
  });

  it('2.5 fails a ping with a 126-byte payload with 1002', async () => {
    await checkCase({
      id: '2.5',
      title: '',
      frames: [ping(Buffer.alloc(126, 0xfe))],
      events: [protocolError(1002, 'KRANDOG_WS_CONTROL_TOO_LONG')],
    });
  });

  it('2.6 answers a 125-byte ping delivered in 1-byte chops', async () => {
    // Byte-by-byte delivery is one of the deliveries checkCase always makes.
    const payload = Buffer.alloc(125, 0xfe);
    await checkCase({ id: '2.6', title: '', frames: [ping(payload)], events: [control(OP.ping, payload)] });
  });

  it('2.7 ignores an unsolicited pong without payload', async () => {
    await checkCase({ id: '2.7', title: '', frames: [pong()], events: [control(OP.pong)] });
  });

  it('2.8 ignores an unsolicited pong with payload', async () => {
    const payload = 'unsolicited pong payload';
    await checkCase({ id: '2.8', title: '', frames: [pong(payload)], events: [control(OP.pong, payload)] });
  });

  it('2.9 ignores an unsolicited pong and answers the ping after it', async () => {
    await checkCase({
      id: '2.9',
      title: '',
      frames: [pong('unsolicited pong payload'), ping('ping payload')],
      events: [control(OP.pong, 'unsolicited pong payload'), control(OP.ping, 'ping payload')],
    });
  });

  it('2.10 answers 10 pings in a row, in order', async () => {
    await checkCase({
      id: '2.10',
      title: '',
      frames: TEN_PAYLOADS.map((payload) => ping(payload)),
      events: TEN_PAYLOADS.map((payload) => control(OP.ping, payload)),
    });
  });

  it('2.11 answers 10 pings in a row delivered in 1-byte chops', async () => {
    await checkCase({
      id: '2.11',
      title: '',
      frames: TEN_PAYLOADS.map((payload) => ping(payload)),
      events: TEN_PAYLOADS.map((payload) => control(OP.ping, payload)),
    });
  });
});

describe('pong replies in the client role', () => {
  it('masks its pong (RFC 6455 §5.3), carries the ping payload and ignores pongs', async () => {
    const peer = await RawPeer.open('memory', { isServer: false });
    try {
      peer.write([buildFrame(pong('unsolicited')), buildFrame(ping('from the server'))]);
      await settle();
      const { frames } = peer.received();
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ opcode: OP.pong, masked: true, fin: true, rsv: 0 });
      expect(frames[0].payload.toString()).toBe('from the server');
    } finally {
      await peer.dispose();
    }
  });
});
