import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Two in-memory streams wired back to back, standing in for the two ends of a TCP connection
 * (the wsproto pattern). Unlike a real socket, every `write` on one end arrives as exactly one
 * 'data' chunk on the other, so tests decide how the bytes are cut.
 *
 * Like net sockets with the default `allowHalfOpen: false`, an end that receives FIN (the peer's
 * `end()`) ends its own side too; `destroy()` reaches the peer as a FIN.
 */
export function createDuplexPair(): [Socket, Socket] {
  const ends: Duplex[] = [];
  const finished = [false, false];
  const sendEof = (to: number) => {
    if (finished[to]) return;
    finished[to] = true;
    ends[to].push(null);
  };
  for (const self of [0, 1]) {
    const peer = 1 - self;
    const end = new Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        // A copy, as the kernel would hand the peer its own buffer.
        if (!finished[peer] && !ends[peer].destroyed) ends[peer].push(Buffer.from(chunk));
        callback();
      },
      final(callback) {
        sendEof(peer);
        callback();
      },
      destroy(error, callback) {
        sendEof(peer);
        callback(error);
      },
    });
    // The one net.Socket method Connection calls that a Duplex lacks.
    Object.assign(end, { setNoDelay: () => end });
    ends.push(end);
  }
  return ends as unknown as [Socket, Socket];
}
