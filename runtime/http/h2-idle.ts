// An h2 session with no open stream is idle, like an HTTP/1.1 keep-alive connection between
// requests: after keepAliveTimeout it gets GOAWAY (Node then closes it, no stream being open). A
// new session must open its first stream within headersTimeout, as a new HTTP/1.1 connection must
// send its first request head: a peer that connects and sends nothing (or never finishes a HEADERS
// frame) does not hold the connection. 0 turns either bound off, as for node:http.
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';

export function closeWhenIdle(session: ServerHttp2Session, firstStreamMs: number, idleMs: number): void {
  let open = 0;
  let timer = goAwayAfter(session, firstStreamMs);
  session.on('stream', (stream: ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    timer = undefined;
    stream.once('close', () => {
      if (--open === 0 && !session.closed) timer = goAwayAfter(session, idleMs);
    });
  });
  session.once('close', () => clearTimeout(timer));
}

function goAwayAfter(session: ServerHttp2Session, ms: number): NodeJS.Timeout | undefined {
  if (ms <= 0) return undefined;
  // unref: an idle connection does not keep the process alive (node:http's timers do not either).
  return setTimeout(() => session.close(), ms).unref();
}
