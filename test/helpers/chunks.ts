// Splitting byte streams into pieces, the way TCP may deliver them. Every piece is a fresh copy:
// the frame parser unmasks whole frames in place, so the caller's bytes must never be shared.

/** A small seeded PRNG (mulberry32): the same seed gives the same chunk sizes, so failures reproduce. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Base seed for every random chunking; `WS_TEST_SEED=n` replays or varies a run. */
export const BASE_SEED = Number(process.env.WS_TEST_SEED ?? 1);

/** A stable seed per test name (FNV-1a), mixed with BASE_SEED. */
export function seedFor(name: string): number {
  let hash = 0x811c9dc5 ^ BASE_SEED;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** `bytes` cut at the given offsets (ascending, exclusive of 0 and length), each piece copied. */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    if (offset > start) pieces.push(Buffer.from(bytes.subarray(start, offset)));
    start = Math.max(start, offset);
  }
  return pieces;
}

/** Pieces of `size` bytes (the last may be shorter). */
export function splitEvery(bytes: Uint8Array, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(Buffer.from(bytes.subarray(i, i + size)));
  return pieces;
}

/** Pieces of random sizes in [1, maxPiece], drawn from `rng`. */
export function splitRandomly(bytes: Uint8Array, rng: () => number, maxPiece = 32): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    const size = 1 + Math.floor(rng() * maxPiece);
    pieces.push(Buffer.from(bytes.subarray(i, i + size)));
    i += size;
  }
  return pieces;
}

export interface Chunking {
  /** Shown in assertion messages, e.g. "random chunks (seed 123)". */
  name: string;
  pieces: Buffer[];
}

/**
 * The three deliveries every frame sequence is tested with: whole, one byte at a time, and random
 * chunk sizes (seeded from `testName`). `maxPiece` bounds the random sizes for large inputs; byte by
 * byte is skipped above `byteByByteLimit` bytes to keep large cases fast.
 */
export function chunkings(bytes: Uint8Array, testName: string, maxPiece = 32, byteByByteLimit = 128 * 1024): Chunking[] {
  const seed = seedFor(testName);
  const result: Chunking[] = [{ name: 'whole', pieces: [Buffer.from(bytes)] }];
  if (bytes.length <= byteByByteLimit) result.push({ name: 'byte by byte', pieces: splitEvery(bytes, 1) });
  result.push({ name: `random chunks (seed ${seed})`, pieces: splitRandomly(bytes, createRng(seed), maxPiece) });
  return result;
}
