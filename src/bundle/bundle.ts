import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Plugin } from 'esbuild';
import { runtimeGlobals, runtimeHttp } from './runtime-paths.ts';
import { bundleDir } from './cache-dir.ts';

export interface BundleOptions {
  /** 'run' keeps the runtime external (loaded from dist/); 'build' inlines it for a standalone file. */
  mode: 'run' | 'build';
}

export interface Bundle {
  code: string;
  /** Every file esbuild read, for the cache key and --watch. */
  inputs: string[];
}

const USER_FILE = /\.(?:[cm]?[jt]sx?)$/;

export async function bundleScript(entry: string, options: BundleOptions): Promise<Bundle> {
  const esbuild = await import('esbuild');
  const external = options.mode === 'run';
  const result = await esbuild.build({
    // The bundle's real entry: install the runtime's globals first, then run the user's script.
    stdin: {
      contents: `import 'krandog:globals';\nimport ${JSON.stringify(entry)};\n`,
      resolveDir: path.dirname(entry),
      sourcefile: 'krandog-entry.js',
    },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'silent',
    absWorkingDir: path.dirname(entry),
    // Source-map paths are relative to the outfile's folder, so name the folder the bundle is written to.
    outfile: path.join(bundleDir(), 'bundle.mjs'),
    define: {
      __dirname: '__krandog_dirname',
      __filename: '__krandog_filename',
      'import.meta.url': '__krandog_import_meta_url',
      'import.meta.dirname': '__krandog_dirname',
      'import.meta.filename': '__krandog_filename',
    },
    // CommonJS packages inside an ESM bundle need a real require() for node: builtins.
    banner: {
      js: "import { createRequire as __krandogCreateRequire } from 'node:module'; const require = __krandogCreateRequire(import.meta.url);",
    },
    plugins: [runtimeGlobalsPlugin(external), runtimeHttpPlugin(external), sourceLocationPlugin()],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(':'))
    .map((input) => path.resolve(path.dirname(entry), input));
  return { code: result.outputFiles[0].text, inputs };
}

/** Resolves the bundle entry's import of the runtime globals: external in 'run' mode, inlined in 'build'. */
function runtimeGlobalsPlugin(external: boolean): Plugin {
  return {
    name: 'krandog-runtime-globals',
    setup(build) {
      build.onResolve({ filter: /^krandog:globals$/ }, () => ({ path: runtimeGlobals, external }));
    },
  };
}

/** `http` and `node:http` in the user's own modules mean krandog's http; node_modules keep Node's. */
function runtimeHttpPlugin(external: boolean): Plugin {
  return {
    name: 'krandog-http',
    setup(build) {
      build.onResolve({ filter: /^(?:node:)?http$/ }, (args) =>
        isInNodeModules(args.importer) ? { path: args.path, external: true } : { path: runtimeHttp, external },
      );
    },
  };
}

/** Gives each user module its own __dirname, __filename and import.meta.url (see `define` above). */
function sourceLocationPlugin(): Plugin {
  return {
    name: 'krandog-source-location',
    setup(build) {
      build.onLoad({ filter: USER_FILE }, async (args) => {
        if (isInNodeModules(args.path)) return undefined;
        let source = await fs.readFile(args.path, 'utf8');
        // Keep line numbers: a shebang line is replaced by the prelude rather than pushed down.
        const shebang = source.startsWith('#!') ? source.indexOf('\n') : -1;
        if (source.startsWith('#!')) source = shebang === -1 ? '' : source.slice(shebang);
        const prelude =
          `var __krandog_dirname = ${JSON.stringify(path.dirname(args.path))}, ` +
          `__krandog_filename = ${JSON.stringify(args.path)}, ` +
          `__krandog_import_meta_url = ${JSON.stringify(new URL(`file://${args.path}`).href)};`;
        return { contents: prelude + source, loader: loaderFor(args.path) };
      });
    },
  };
}

function loaderFor(file: string): 'js' | 'ts' | 'tsx' | 'jsx' {
  const ext = path.extname(file);
  if (ext === '.tsx') return 'tsx';
  if (ext === '.jsx') return 'jsx';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  return 'js';
}

function isInNodeModules(file: string): boolean {
  return file.split(path.sep).includes('node_modules');
}
