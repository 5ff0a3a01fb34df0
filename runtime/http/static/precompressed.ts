// Precompressed siblings: `app.js.br` and `app.js.gz` next to `app.js`, sent instead of it to a
// client whose Accept-Encoding takes them (RFC 9110 §12.5.3), brotli first (smaller).

/** The siblings looked for, in the order they are preferred. */
export const SIBLINGS = [
  { encoding: 'br', suffix: '.br' },
  { encoding: 'gzip', suffix: '.gz' },
] as const;

/** Whether an Accept-Encoding value accepts `coding`: named (or `*`) with a q-value above 0. */
export function acceptsEncoding(acceptEncoding: string | undefined, coding: string): boolean {
  if (acceptEncoding === undefined) return false;
  let wildcard: number | undefined;
  for (const item of acceptEncoding.split(',')) {
    const [name = '', ...params] = item.split(';');
    const token = name.trim().toLowerCase();
    if (token !== coding && token !== '*') continue;
    const q = params.map((param) => /^\s*q\s*=\s*([\d.]+)\s*$/i.exec(param)).find((found) => found !== null);
    const weight = q === undefined ? 1 : Number(q[1]);
    if (token === coding) return weight > 0;
    wildcard = weight;
  }
  return wildcard !== undefined && wildcard > 0;
}
