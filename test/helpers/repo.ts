import { fileURLToPath } from 'node:url';

/** The checkout's folder, with a trailing slash; tests spawn ./krandog and read fixtures from here. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
