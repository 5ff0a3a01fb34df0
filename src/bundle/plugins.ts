// esbuild plugins that make a bundle behave like the user's files run one by one under krandog.
import type { Plugin } from 'esbuild';
import { path, url } from '../builtins.ts';
import { distDir, runtimeGlobals, runtimeHttp, runtimeHttps } from './runtime-paths.ts';
import { isInNodeModules, readInput, type InputFile } from './input-files.ts';
import { lazyGlobalsModule } from './lazy-globals.ts';

/** Identifiers the `define` option of bundle.ts turns the per-module globals into. */
export const locationDefines = {
  __dirname: '__krandog_dirname',
  __filename: '__krandog_filename',
  'import.meta.url': '__krandog_import_meta_url',
  'import.meta.dirname': '__krandog_dirname',
  'import.meta.filename': '__krandog_filename',
};

/** Files whose loader their extension picks (loaderFor); any other file is read as JavaScript. */
export const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;
const USES_LOCATION = /__dirname|__filename|import\.meta/;

/**
 * Resolves the runtime globals for the bundle's entry: `krandog:globals` is the runtime itself
 * (external in 'run' mode, inlined in 'build'); `krandog:lazy-globals` the module that installs
 * them on first use (lazy-globals.ts).
 */
export function runtimeGlobalsPlugin(external: boolean): Plugin {
  return {
    name: 'krandog-runtime-globals',
    setup(build) {
      build.onResolve({ filter: /^krandog:globals$/ }, () => ({ path: runtimeGlobals, external }));
      build.onResolve({ filter: /^krandog:lazy-globals$/ }, () => ({ path: 'lazy-globals', namespace: 'krandog' }));
      build.onLoad({ filter: /.*/, namespace: 'krandog' }, () => ({ contents: lazyGlobalsModule(), loader: 'js', resolveDir: distDir }));
    },
  };
}

/**
 * `http` and `node:http` in the user's own modules mean krandog's http (`https`, `node:https`:
 * krandog's https); node_modules, and krandog's runtime itself (inlined by `krandog build`), keep Node's.
 */
export function runtimeHttpPlugin(external: boolean): Plugin {
  return {
    name: 'krandog-http',
    setup(build) {
      build.onResolve({ filter: /^(?:node:)?https?$/ }, (args) =>
        isInNodeModules(args.importer) || args.importer.startsWith(distDir)
          ? { path: args.path, external: true }
          : { path: args.path.endsWith('s') ? runtimeHttps : runtimeHttp, external },
      );
    },
  };
}

export interface LoadRecords {
  /** Every file this plugin loaded, with the stat and hash taken when it was read. */
  inputs: Map<string, InputFile>;
  /** Characters put in front of line 1 of a file (source-map.ts shifts them back). */
  preludeLengths: Map<string, number>;
}

/**
 * Loads every source file itself, to record it for the cache, and gives each module that uses
 * them its own __dirname, __filename and import.meta.url (see `locationDefines`): a one-line
 * prelude of `var` declarations on the module's first line, so no line number moves. A leading
 * shebang line is replaced by the prelude. The entry may have any extension (or none, as a
 * shebang script often has).
 */
export function sourceLocationPlugin(entry: string, records: LoadRecords): Plugin {
  return {
    name: 'krandog-source-location',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        if (args.path !== entry && !SOURCE_FILE.test(args.path)) return undefined;
        const { content, record } = await readInput(args.path);
        records.inputs.set(args.path, record);
        const loader = loaderFor(args.path);
        let source = content.toString('utf8');
        if (loader === 'json' || !USES_LOCATION.test(source)) return { contents: source, loader };
        const prelude =
          `var __krandog_dirname = ${JSON.stringify(path.dirname(args.path))}, ` +
          `__krandog_filename = ${JSON.stringify(args.path)}, ` +
          `__krandog_import_meta_url = ${JSON.stringify(url.pathToFileURL(args.path).href)};`;
        if (source.startsWith('#!')) {
          const lineEnd = source.indexOf('\n');
          source = prelude + (lineEnd === -1 ? '' : source.slice(lineEnd));
        } else {
          source = prelude + source;
          records.preludeLengths.set(args.path, prelude.length);
        }
        return { contents: source, loader };
      });
    },
  };
}

function loaderFor(file: string): 'js' | 'ts' | 'tsx' | 'jsx' | 'json' {
  switch (path.extname(file)) {
    case '.tsx':
      return 'tsx';
    case '.jsx':
      return 'jsx';
    case '.ts':
    case '.mts':
    case '.cts':
      return 'ts';
    case '.json':
      return 'json';
    default:
      return 'js';
  }
}
