// The bytes a connection wrote that wait behind the socket's own buffer. The connection hands
// them to the socket a slice at a time (see SocketConnection#feed), so the socket's 'drain' events show
// how fast the peer takes them; one write of everything would say nothing until the last byte left.

/** A FIFO of byte chunks; `take` returns views, never copies. */
export class OutgoingQueue {
  #chunks: Uint8Array[] = [];
  /** Index of the first chunk not fully taken, and how much of it was. */
  #head = 0;
  #offset = 0;
  /** Bytes not yet taken. */
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.length += bytes.length;
  }

  /** The next bytes, at most `maxBytes` of them (a whole chunk when it fits); call only when length > 0. */
  take(maxBytes: number): Uint8Array {
    const chunk = this.#chunks[this.#head];
    const left = chunk.length - this.#offset;
    let taken: Uint8Array;
    if (left <= maxBytes) {
      taken = this.#offset === 0 ? chunk : chunk.subarray(this.#offset);
      this.#chunks[this.#head++] = EMPTY;
      this.#offset = 0;
      this.#compact();
    } else {
      taken = chunk.subarray(this.#offset, this.#offset + maxBytes);
      this.#offset += maxBytes;
    }
    this.length -= taken.length;
    return taken;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.length = 0;
  }

  /** Drops taken chunks from the front once they are most of the array (amortised O(1) per chunk). */
  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
