// The peer's IP address as scripts see it: an IPv4 client of a dual-stack server shows as IPv4,
// not `::ffff:1.2.3.4`.
import type { Socket } from 'node:net';

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else as it is. */
export function displayAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

type PeerNameHandle = { getpeername?(out: { address?: string }): number };

/**
 * The peer's address, read once for a connection that keeps it (a WebSocket). `socket.remoteAddress`
 * would leave Node's `{ address, family, port }` object and its string on the socket for the life of
 * the connection (about 100 bytes of every idle WebSocket); asking the handle directly leaves nothing.
 * Falls back to `remoteAddress` where the handle has no getpeername (an HTTP/2 session's socket).
 */
export function readPeerAddress(socket: Socket): string {
  const handle = (socket as unknown as { _handle?: PeerNameHandle | null })._handle;
  if (typeof handle?.getpeername === 'function') {
    const out: { address?: string } = {};
    if (handle.getpeername(out) === 0 && out.address !== undefined) return displayAddress(out.address)!;
  }
  return displayAddress(socket.remoteAddress) ?? '';
}
