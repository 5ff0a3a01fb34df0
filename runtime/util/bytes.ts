// Binary data as bytes. Helpers under runtime/util/ import nothing from krandog, only Node's built-ins.

/** Binary data a script may hand over: an ArrayBuffer, a SharedArrayBuffer, or a view of one (typed array, DataView, Buffer). */
export type BinaryData = ArrayBufferLike | ArrayBufferView;

/** Whether `value` is an ArrayBuffer, a SharedArrayBuffer or a view of either. */
export function isBinaryData(value: unknown): value is BinaryData {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer;
}

/**
 * `data`'s bytes as a Uint8Array over the same memory: a view, never a copy (a later change to
 * `data` shows through). A Uint8Array, Buffer included, is returned as it is.
 */
export function viewBytes(data: BinaryData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}
