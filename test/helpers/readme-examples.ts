// Runs the fenced JavaScript/TypeScript examples of a Markdown file through ./krandog, as written.
//
// An example is a ```js, ```javascript, ```ts or ```typescript block. HTML comments right above its
// fence can say how to run it (the README shows nothing of them):
//   <!-- readme-test: skip <reason> -->         not run; the reason is required
//   <!-- readme-test: args <a> <b> -->          arguments for the script
//   <!-- readme-test: flags --workers 2 -->     krandog options, before the script
//   <!-- readme-test: needs-echo-server -->     a WebSocket client: a ws:// URL of an echo server is
//                                               appended to its arguments
//   <!-- readme-test: websocket /path?query --> open a WebSocket there (default: / when the code
//                                               mentions `websocket`)
//   <!-- readme-test: tls -->                   key.pem and cert.pem (localhost) in its folder; HTTPS
//   <!-- readme-test: needs-redis -->           KRANDOG_PUBSUB set to a Redis (`redisUrl`)
// A server example (it prints `Server listening on …`) gets an HTTP request (and a WebSocket when
// it takes them), then SIGTERM, and must exit with 0. Any other example must exit by itself with 0.
// Either way nothing may reach stderr, what a `// prints: …` comment promises must be in stdout, and
// everything must be over within the time limit.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import nodeHttp from 'node:http';
import nodeHttps from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { makeTempDir, startKrandog, type LiveRun } from './krandog-cli.ts';

export interface ExampleDirectives {
  skip?: string;
  args: string[];
  flags: string[];
  needsEchoServer: boolean;
  websocket?: string;
  tls: boolean;
  needsRedis: boolean;
}

export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  line: number;
  extension: '.js' | '.ts';
  code: string;
  directives: ExampleDirectives;
}

const EXTENSIONS: Record<string, '.js' | '.ts'> = { js: '.js', javascript: '.js', ts: '.ts', typescript: '.ts' };
const DIRECTIVE = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;

/** The examples of `markdown`, with the directives above each. An unknown or malformed directive throws. */
export function extractExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n');
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]);
    if (fence === null) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end === -1) throw new Error(`line ${i + 1}: the code block never ends`);
    const extension = EXTENSIONS[fence[1].toLowerCase()];
    if (extension !== undefined) {
      examples.push({ line: i + 1, extension, code: lines.slice(i + 1, end).join('\n') + '\n', directives: directivesAbove(lines, i) });
    }
    i = end;
  }
  return examples;
}

function directivesAbove(lines: string[], fenceIndex: number): ExampleDirectives {
  const directives: ExampleDirectives = { args: [], flags: [], needsEchoServer: false, tls: false, needsRedis: false };
  for (let i = fenceIndex - 1; i >= 0; i--) {
    const match = DIRECTIVE.exec(lines[i].trim());
    if (match === null) break;
    const [name, ...rest] = match[1].split(/\s+/);
    const where = `line ${i + 1}`;
    switch (name) {
      case 'skip':
        if (rest.length === 0) throw new Error(`${where}: readme-test: skip needs a reason`);
        directives.skip = rest.join(' ');
        break;
      case 'args':
        directives.args.unshift(...rest);
        break;
      case 'flags':
        directives.flags.unshift(...rest);
        break;
      case 'needs-echo-server':
        directives.needsEchoServer = true;
        break;
      case 'websocket':
        directives.websocket = rest[0] ?? '/';
        break;
      case 'tls':
        directives.tls = true;
        break;
      case 'needs-redis':
        directives.needsRedis = true;
        break;
      default:
        throw new Error(`${where}: unknown readme-test directive ${JSON.stringify(name)}`);
    }
  }
  return directives;
}

export interface ExampleOutcome {
  /** `server` when it printed a listening line and was stopped with SIGTERM; `script` when it ended by itself. */
  kind: 'server' | 'script';
  stdout: string;
}

const LISTEN_LINE = /Server listening on (https?):\/\/localhost:(\d+)\n/;
const PORT_IN_USE = /^port (\d+) is already in use\n$/;

/**
 * Runs one example in a folder of its own; resolves when it behaved, throws saying what went wrong.
 * A fixed port held by someone else for a moment (another test, another checkout's run) is retried
 * for up to `portWaitMs`.
 */
export async function runExample(
  example: ReadmeExample,
  options: { timeoutMs?: number; portWaitMs?: number; redisUrl?: string } = {},
): Promise<ExampleOutcome> {
  const { timeoutMs = 20_000, portWaitMs = 15_000, redisUrl } = options;
  if (example.directives.needsRedis && redisUrl === undefined) throw new Error('this example needs a Redis: give runExample a redisUrl');
  const env = example.directives.needsRedis ? { KRANDOG_PUBSUB: redisUrl } : {};
  const dir = makeTempDir('krandog-readme-');
  const file = path.join(dir, `example-${example.line}${example.extension}`);
  writeFileSync(file, example.code);
  const tls = example.directives.tls ? writeCertificate(dir) : undefined;
  const giveUpOnPortAt = Date.now() + portWaitMs;
  for (;;) {
    const echo = example.directives.needsEchoServer ? await startEchoServer() : undefined;
    try {
      const args = [...example.directives.flags, file, ...example.directives.args, ...(echo ? [echo.url] : [])];
      const live = startKrandog(args, { cwd: dir, env });
      const outcome = await withDeadline(live, timeoutMs, () => drive(live, example, tls));
      if (echo !== undefined && echo.received.length === 0) throw new Error('the client never sent the echo server a message');
      for (const [, promised] of example.code.matchAll(/\/\/ prints: (.*)$/gm)) {
        if (!outcome.stdout.includes(promised.trim())) throw new Error(`it says it prints ${JSON.stringify(promised.trim())}; it printed:\n${outcome.stdout}`);
      }
      return outcome;
    } catch (error) {
      if (!(error instanceof PortInUse) || Date.now() > giveUpOnPortAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await echo?.close();
    }
  }
}

class PortInUse extends Error {}

/** Runs `body`; past `timeoutMs` kills the example (SIGKILL) and fails. */
async function withDeadline<T>(live: LiveRun, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      live.child.kill('SIGKILL');
      reject(new Error(`did not finish within ${timeoutMs} ms${describe(live)}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([body(), deadline]);
  } finally {
    clearTimeout(timer);
    if (live.child.exitCode === null && live.child.signalCode === null) {
      live.child.kill('SIGKILL');
      await live.exited;
    }
  }
}

async function drive(live: LiveRun, example: ReadmeExample, tls: Certificate | undefined): Promise<ExampleOutcome> {
  const listening = await Promise.race([live.waitFor(LISTEN_LINE, 'stdout', 2 ** 31 - 1).catch(() => undefined), live.exited.then(() => undefined)]);
  if (listening === undefined) {
    const { code, signal } = await live.exited;
    const { stdout, stderr } = live.output();
    if (code === 1 && PORT_IN_USE.test(stderr)) throw new PortInUse(stderr.trim());
    if (code !== 0 || stderr !== '') throw new Error(`exited with ${signal ?? `exit code ${code}`}${describe(live)}`);
    return { kind: 'script', stdout };
  }
  const [, protocol, port] = listening;
  const base = `${protocol}://127.0.0.1:${port}`;
  const status = await httpStatus(`${base}/`, tls?.cert);
  if (status >= 500) throw new Error(`GET / answered ${status}${describe(live)}`);
  const websocketPath = example.directives.websocket ?? (/websocket/i.test(example.code) ? '/' : undefined);
  if (websocketPath !== undefined) await talkWebSocket(`${protocol === 'https' ? 'wss' : 'ws'}://127.0.0.1:${port}${websocketPath}`, tls?.cert);
  live.child.kill('SIGTERM');
  const { code, signal } = await live.exited;
  const { stdout, stderr } = live.output();
  if (code !== 0 || stderr !== '') throw new Error(`after SIGTERM: exited with ${signal ?? `exit code ${code}`}${describe(live)}`);
  return { kind: 'server', stdout };
}

function describe(live: LiveRun): string {
  const { stdout, stderr } = live.output();
  return `\n--- stdout:\n${stdout}--- stderr:\n${stderr}`;
}

function httpStatus(url: string, ca: Buffer | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? nodeHttps.get : nodeHttp.get;
    const request = get(url, { ca, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
  });
}

/** Opens a WebSocket, sends a message and closes it; throws when the server does not accept it. */
async function talkWebSocket(url: string, ca: Buffer | undefined): Promise<void> {
  const client = new WebSocket(url, { ca });
  const refused = new Promise<never>((_, reject) => {
    client.once('unexpected-response', (_request, response) => reject(new Error(`WebSocket ${url} refused: ${response.statusCode}`)));
    client.once('error', reject);
  });
  await Promise.race([once(client, 'open'), refused]);
  client.send('hello from the README test');
  client.close(1000);
  await Promise.race([once(client, 'close'), refused]);
}

interface EchoServer {
  url: string;
  received: string[];
  close(): Promise<void>;
}

/** A WebSocket server that echoes the first message, then closes (1000) so the client can end. */
async function startEchoServer(): Promise<EchoServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const received: string[] = [];
  server.on('connection', (socket) => {
    socket.once('message', (data, isBinary) => {
      received.push(data.toString());
      socket.send(data, { binary: isBinary }, () => socket.close(1000, 'bye'));
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Certificate {
  cert: Buffer;
}

/** A self-signed key.pem / cert.pem for localhost and 127.0.0.1 in `dir` (openssl). */
function writeCertificate(dir: string): Certificate {
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', 'key.pem', '-out', 'cert.pem'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl failed (is it installed?): ${result.error?.message ?? result.stderr}`);
  return { cert: readFileSync(path.join(dir, 'cert.pem')) };
}
