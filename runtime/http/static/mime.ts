// Content-Type by file extension: the types a web page and its assets need. Anything else is sent
// as bytes, which browsers download rather than guess at (no sniffing of the content).
import path from 'node:path';

const UTF8 = '; charset=utf-8';

const TYPES: Record<string, string> = {
  '.html': 'text/html' + UTF8,
  '.htm': 'text/html' + UTF8,
  '.css': 'text/css' + UTF8,
  '.js': 'text/javascript' + UTF8,
  '.mjs': 'text/javascript' + UTF8,
  '.cjs': 'text/javascript' + UTF8,
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain' + UTF8,
  '.md': 'text/markdown' + UTF8,
  '.csv': 'text/csv' + UTF8,
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

const BYTES = 'application/octet-stream';

/** The Content-Type of a file, from its extension (case-insensitive). */
export function mimeTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? BYTES;
}
