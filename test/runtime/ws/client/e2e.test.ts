// The global WebSocket in scripts run by the built ./krandog: against an in-test `ws` server, the
// process lives while a socket is connecting or open and exits on its own once all are closed.
// Needs `node build.mjs` first (npm test does it).
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startKrandogServer } from '../../../helpers/krandog-server.ts';
import { startPeer, stopPeers } from '../../../helpers/ws-client.ts';

afterEach(stopPeers);

interface Run {
  /** Resolves when stdout contains `text`. */
  waitFor(text: string): Promise<void>;
  write(text: string): void;
  endInput(): void;
  /** Exit code, stdout and stderr once the process exited by itself. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runKrandog(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn('./krandog', args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters.filter((w) => stdout.includes(w.text))) waiter.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    waitFor: (text) => (stdout.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
    write: (text) => child.stdin.write(text),
    endInput: () => child.stdin.end(),
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

describe('global WebSocket in a script', () => {
  it('is the browser WebSocket, with CloseEvent and ErrorEvent beside it', async () => {
    const run = runKrandog(['test/fixtures/ws-client/globals.js']);
    const { code, stdout, stderr } = await run.exited;
    expect(stderr).toBe('');
    expect(stdout).toBe(
      ['function function function function', '0 1 2 3', 'true SyntaxError', 'true ws://127.0.0.1:1/ blob', 'WebSocket CloseEvent ErrorEvent [object WebSocket]', 'close 1006 false', ''].join('\n'),
    );
    expect(code).toBe(0);
  });

  it('talks to a ws server, stays alive while open, and exits by itself after the server closes', async () => {
    const peer = await startPeer({ handleProtocols: () => 'chat' });
    peer.server.on('connection', (socket) => {
      const got: string[] = [];
      socket.on('message', (data, isBinary) => {
        got.push(isBinary ? `binary ${(data as Buffer).toString('hex')}` : String(data));
        if (got.length < 2) return;
        socket.send(`echo ${got.join(' + ')}`);
        socket.send(Buffer.from([0xca, 0xfe]));
        // Quiet until the test says so: nothing but the socket holds the script's process.
        void delayedClose.then(() => socket.close(4000, 'done'));
      });
    });
    let release!: () => void;
    const delayedClose = new Promise<void>((resolve) => (release = resolve));
    const run = runKrandog(['test/fixtures/ws-client/roundtrip.js', peer.url, 'chat,other']);
    await run.waitFor('message binary cafe');
    release();
    const { code, stdout, stderr } = await run.exited;
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      'constructed 0',
      'open chat',
      'message echo text ✓ + binary 010203 true',
      'message binary cafe true',
      'close 4000 done true true',
      '',
    ]);
    expect(code).toBe(0);
  });

  it('stays alive while connecting', async () => {
    let accept!: () => void;
    const accepted = new Promise<void>((resolve) => (accept = resolve));
    const peer = await startPeer({ verifyClient: (_info, done) => void accepted.then(() => done(true)) });
    peer.server.on('connection', (socket) => socket.close(1000));
    const run = runKrandog(['test/fixtures/ws-client/roundtrip.js', peer.url]);
    // The script has run to its end; only the pending handshake is left.
    await run.waitFor('constructed 0');
    accept();
    const { code, stdout } = await run.exited;
    expect(stdout).toContain('open');
    expect(stdout).toContain('close 1000');
    expect(code).toBe(0);
  });

  it('prints why a connection failed only with KRANDOG_DEBUG', async () => {
    const quiet = await runKrandog(['test/fixtures/ws-client/roundtrip.js', 'ws://127.0.0.1:1/']).exited;
    expect(quiet.stdout).toContain('error true\nclose 1006  false true');
    expect(quiet.stderr).toBe('');
    const debug = await runKrandog(['test/fixtures/ws-client/roundtrip.js', 'ws://127.0.0.1:1/'], { KRANDOG_DEBUG: '1' }).exited;
    expect(debug.stderr).toMatch(/^krandog: WebSocket ws:\/\/127\.0\.0\.1:1\/ failed: .*ECONNREFUSED/);
  });
});

describe('examples/websocket-client.js', () => {
  it('sends each stdin line, prints each message, and exits with the close', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => socket.on('message', (data) => socket.send(`you said: ${data}`)));
    const run = runKrandog(['examples/websocket-client.js', peer.url]);
    run.write('hello\n');
    await run.waitFor('you said: hello\n');
    run.write('second line\n');
    await run.waitFor('you said: second line\n');
    run.endInput();
    const { code, stdout, stderr } = await run.exited;
    expect(stdout).toBe('you said: hello\nyou said: second line\n');
    expect(stderr).toBe(`connected to ${peer.url}/\nclosed: 1000\n`);
    expect(code).toBe(0);
  });

  it('with piped input (echo hi | …), prints the replies of ./krandog examples/websocket-echo.js before closing', async () => {
    const echo = await startKrandogServer('examples/websocket-echo.js', [], { PORT: '0' });
    try {
      const url = `ws://127.0.0.1:${echo.port}`;
      const run = runKrandog(['examples/websocket-client.js', url]);
      run.write('hi\nsecond line\n');
      run.endInput();
      const { code, stdout, stderr } = await run.exited;
      expect(stdout).toBe('hi\nsecond line\n');
      expect(stderr).toBe(`connected to ${url}/\nclosed: 1000\n`);
      expect(code).toBe(0);
    } finally {
      await echo.stop();
    }
  });

  it('after the input ends, waits for replies that keep coming', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) =>
      socket.on('message', (data) => {
        socket.send(`got ${data}`);
        setTimeout(() => socket.send(`still thinking about ${data}`), 100);
      }),
    );
    const run = runKrandog(['examples/websocket-client.js', peer.url]);
    run.write('question\n');
    run.endInput();
    const { code, stdout } = await run.exited;
    expect(stdout).toBe('got question\nstill thinking about question\n');
    expect(code).toBe(0);
  });

  it('exits with status 1 when the server drops the connection', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => socket.on('message', () => socket.terminate()));
    const run = runKrandog(['examples/websocket-client.js', peer.url]);
    run.write('bye\n');
    const { code, stderr } = await run.exited;
    expect(stderr).toContain('closed: 1006');
    expect(code).toBe(1);
  });
});
