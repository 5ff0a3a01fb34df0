// A raw TCP HTTP/1.1 client for what fetch hides: connection reuse, garbage input, partial requests.
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers keep every value. */
  headers: Map<string, string[]>;
  body: Buffer;
  /** The bytes of the status line and headers, as received. */
  head: string;
}

/** One TCP connection; responses are read in order, one call per expected response. */
export class RawHttpConnection {
  readonly socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawHttpConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Everything received and not yet consumed by readResponse(). */
  get received(): Buffer {
    return this.#buffer;
  }

  /** Whether the server closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Reads one response. `bodiless` for answers to HEAD (headers only). */
  async readResponse(options: { bodiless?: boolean } = {}): Promise<RawResponse> {
    const headEnd = await this.#waitFor(() => {
      const end = this.#buffer.indexOf('\r\n\r\n');
      return end === -1 ? undefined : end;
    });
    const head = this.#buffer.subarray(0, headEnd).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const status = Number(statusLine.split(' ')[1]);
    let offset = headEnd + 4;
    let body: Buffer;
    const length = headers.get('content-length')?.[0];
    if (options.bodiless || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers.get('transfer-encoding')?.[0] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = await this.#waitFor(() => {
          const end = this.#buffer.indexOf('\r\n', offset);
          return end === -1 ? undefined : end;
        });
        const size = parseInt(this.#buffer.subarray(offset, lineEnd).toString('latin1'), 16);
        const start = lineEnd + 2;
        await this.#waitFor(() => (this.#buffer.length >= start + size + 2 ? true : undefined));
        parts.push(Buffer.from(this.#buffer.subarray(start, start + size)));
        offset = start + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (length !== undefined) {
      const end = offset + Number(length);
      await this.#waitFor(() => (this.#buffer.length >= end ? true : undefined));
      body = Buffer.from(this.#buffer.subarray(offset, end));
      offset = end;
    } else {
      await this.#waitFor(() => (this.#ended ? true : undefined));
      body = Buffer.from(this.#buffer.subarray(offset));
      offset = this.#buffer.length;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return { status, headers, body, head };
  }

  close(): void {
    this.socket.destroy();
  }

  async #waitFor<T>(find: () => T | undefined): Promise<T> {
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (this.#ended) throw new Error(`connection closed; received so far: ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** A request in wire form; `Host` is added, and `Content-Length` when there is a body. */
export function rawRequest(method: string, target: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== '' && headers['Transfer-Encoding'] === undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}
