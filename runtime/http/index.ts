// krandog's `http` module: what `import http from 'http'` gives a user's script.
import { createServer, serve } from './server.ts';

export { createServer, serve };
export default { createServer, serve };
