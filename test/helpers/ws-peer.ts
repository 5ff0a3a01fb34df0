import { once } from 'node:events';
import net, { type Socket } from 'node:net';
import { SocketConnection as Connection, type SocketConnectionOptions as ConnectionOptions } from '../../runtime/ws/transport/socket-transport.ts';
import { createDuplexPair } from './duplex-pair.ts';
import { decodeFrames, type DecodedFrame } from './frames.ts';
import { within } from './within.ts';

export type Transport = 'memory' | 'tcp';

export interface CloseRecord {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** Lets queued I/O callbacks run (in-memory streams deliver on the next ticks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A krandog Connection on one end of a socket pair, and a raw peer on the other end that writes
 * bytes exactly as given and records every byte that comes back. By default the Connection echoes
 * each message (what Autobahn's test server does), so tests can check replies on the wire.
 */
export class RawPeer {
  readonly connection: Connection;
  readonly raw: Socket;
  /** Errors the Connection reported through onError. */
  readonly connectionErrors: Error[];
  /** Resolves when the Connection reports its close (once, when TCP is gone). */
  readonly closed: Promise<CloseRecord>;
  /** Resolves when the raw end receives FIN: the Connection's side ended TCP. */
  readonly ended: Promise<void>;
  #received: Buffer[] = [];
  #hasEnded = false;
  #server: net.Server | undefined;

  private constructor(
    connection: Connection,
    raw: Socket,
    closed: Promise<CloseRecord>,
    connectionErrors: Error[],
    server?: net.Server,
  ) {
    this.connection = connection;
    this.connectionErrors = connectionErrors;
    this.raw = raw;
    this.closed = closed;
    this.#server = server;
    raw.on('data', (chunk: Buffer) => this.#received.push(chunk));
    // A reset after the Connection ended is not what these tests look at; keep it from throwing.
    raw.on('error', () => {});
    this.ended = new Promise((resolve) =>
      raw.on('end', () => {
        this.#hasEnded = true;
        resolve();
      }),
    );
  }

  /**
   * Opens a pair over `transport`; the Connection is a server unless `isServer: false`. `echo: false` leaves messages
   * unanswered. The close timeout is long so that only a deliberate end of TCP is observed.
   * `halfOpen` (tcp): the raw end does not answer the Connection's FIN with its own.
   */
  static async open(
    transport: Transport,
    options: Partial<ConnectionOptions> & { echo?: boolean; halfOpen?: boolean } = {},
  ): Promise<RawPeer> {
    const { echo = true, halfOpen = false, ...connectionOptions } = options;
    let resolveClosed!: (record: CloseRecord) => void;
    const closed = new Promise<CloseRecord>((resolve) => (resolveClosed = resolve));
    const errors: Error[] = [];
    const start = (socket: Socket): Connection => {
      const connection: Connection = new Connection(
        socket,
        { isServer: true, closeTimeoutMs: 60_000, ...connectionOptions },
        {
          onMessage: (data, isText) => {
            if (echo) connection.send(data, isText);
          },
          onError: (error) => errors.push(error),
          onClose: (code, reason, wasClean) => resolveClosed({ code, reason, wasClean }),
        },
      );
      connection.start();
      return connection;
    };

    if (transport === 'memory') {
      const [local, raw] = createDuplexPair();
      return new RawPeer(start(local), raw, closed, errors);
    }
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const accepted = once(server, 'connection');
    const raw = net.connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen });
    raw.setNoDelay(true);
    const [[socket]] = await Promise.all([accepted, once(raw, 'connect')]);
    return new RawPeer(start(socket as Socket), raw, closed, errors, server);
  }

  /** Writes each piece with its own write call (in memory: its own 'data' event). */
  write(pieces: readonly Buffer[]): void {
    for (const piece of pieces) this.raw.write(piece);
  }

  get hasEnded(): boolean {
    return this.#hasEnded;
  }

  /** Every frame the Connection sent so far (unmasked) and any incomplete tail. */
  received(): { frames: DecodedFrame[]; rest: Buffer } {
    return decodeFrames(Buffer.concat(this.#received));
  }

  /** Waits until the Connection ended TCP and reported its close. */
  async finish(): Promise<CloseRecord> {
    await within(this.ended, 5_000, 'the Connection never ended the TCP connection');
    return within(this.closed, 5_000, 'the Connection never reported its close');
  }

  /** Tears everything down, whatever state the test left it in. */
  async dispose(): Promise<void> {
    this.raw.destroy();
    this.connection.terminate();
    if (this.#server) await new Promise((resolve) => this.#server!.close(resolve));
  }
}
