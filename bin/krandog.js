#!/usr/bin/env node
// Entry point for `npm link` / global installs / npx; the CLI itself lives in dist/cli.js (see build.mjs).
// Loaded with import(), so Node's own exit code 13 for an unsettled top-level await would not apply
// here; krandog checks for it itself (src/exec/unsettled-await.ts), the same under every launcher.
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error('krandog: dist/ is missing; run `npm ci` (or `npm run build`) in the krandog folder first');
    process.exit(1);
  }
  throw error;
});
