import type { ChildProcess } from 'node:child_process';
import type { BuildFailure, BuildResult, Message } from 'esbuild';
import { module, path, url } from '../builtins.ts';
import { useColor } from '../color.ts';
import { BundleError } from '../errors.ts';
import { COMMONJS_TOP_LEVEL_AWAIT, shownWarnings, withKrandogHints, type CommonJsOutfile } from './error-hints.ts';
import { reaped, recordingSpawns } from './esbuild-service.ts';
import { recordInput, resolutionConfigFiles, type InputFile } from './input-files.ts';
import { locationDefines, runtimeGlobalsPlugin, runtimeHttpPlugin, sourceLocationPlugin, type LoadRecords } from './plugins.ts';
import { inlineSourceMapComment, removeFirstLinePreludes, mapLineTo, type RawSourceMap } from './source-map.ts';

export type ModuleFormat = 'esm' | 'cjs';

/** The first line of a bundle: `kept`, then `require` unless nothing in the bundle calls require(). */
interface Banner {
  kept: string;
  require: string;
}

/**
 * A cached CommonJS bundle runs inside a function of its own, called without a receiver: its
 * top-level frame reads `at <anonymous> (script.js:…)` as in an ES module, not `Object.<anonymous>`.
 */
const RUN_CJS_PROLOGUE = `'use strict';(function () {`;
const RUN_CJS_EPILOGUE = '})();';

export interface BundleOptions {
  /**
   * 'run' keeps the runtime external (imported from dist/ by absolute path) and names sources by
   * absolute path, for a bundle kept in the cache; 'build' inlines the runtime and names sources
   * relative to `outfile`, for a standalone file.
   */
  mode: 'run' | 'build';
  /** Where the bundle will be written ('build' mode only). */
  outfile?: string;
  /**
   * ('build' mode only) Set when node will load the outfile as CommonJS: the bundle is then
   * CommonJS. `reason` says why node loads it so, `moduleName` is the outfile's .mjs name: both
   * for the advice on what CommonJS lacks (top-level await, import.meta), see error-hints.ts.
   */
  commonJs?: CommonJsOutfile;
}

export interface Bundle {
  /** ESM (or, for `commonJs`, CommonJS) code with an inline source map. */
  code: string;
  /** 'cjs' when `code` is CommonJS. */
  format: ModuleFormat;
  /** Every file the bundle depends on, for the cache and --watch. */
  inputs: InputFile[];
  /** esbuild's warnings worth showing, formatted for stderr ('' when none). */
  warnings: string;
}

/** Bundles the script at `entry` (an absolute path). esbuild is loaded here only: a cache hit never needs it. */
export async function bundleScript(entry: string, options: BundleOptions): Promise<Bundle> {
  // require(), not import(): importing a CommonJS package from an ES module makes Node scan its
  // source for export names first, which costs tens of milliseconds for esbuild's 100 KB.
  const esbuild = module().createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const isRun = options.mode === 'run';
  const outfile = isRun ? path.join(path.dirname(entry), 'krandog-bundle.mjs') : path.resolve(options.outfile!);
  const records: LoadRecords = { inputs: new Map(), preludeLengths: new Map() };
  const requireBase = isRun ? JSON.stringify(url.pathToFileURL(entry).href) : 'import.meta.url';
  // Calls to require() that esbuild leaves in the code (optional dependencies, computed names)
  // resolve as Node would resolve them from the script; a standalone build resolves from itself.
  // CommonJS has its own require(): 'build' keeps it, 'run' (the bundle lives in the cache)
  // replaces it. Strict mode keeps the modules' ES-module semantics.
  const banners: Record<ModuleFormat, Banner> = {
    esm: { kept: '', require: `const require = (process.getBuiltinModule?.('node:module') ?? (await import('node:module'))).createRequire(${requireBase});` },
    cjs: isRun ? { kept: RUN_CJS_PROLOGUE, require: `require = require('node:module').createRequire(${requireBase});` } : { kept: `'use strict';`, require: '' },
  };
  // esbuild.build() spawns esbuild's service process on the way in (esbuild-service.ts).
  const children: ChildProcess[] = [];
  const build = (format: ModuleFormat) =>
    recordingSpawns(children, () =>
      esbuild.build({
        // The bundle's real entry: the runtime's globals first (in 'run' mode as getters that load the
        // runtime on first use, lazy-globals.ts), then the user's script.
        stdin: {
          contents: `import '${isRun ? 'krandog:lazy-globals' : 'krandog:globals'}';\nimport ${JSON.stringify(entry)};\n`,
          resolveDir: path.dirname(entry),
          sourcefile: 'krandog-entry.js',
        },
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format,
        target: 'node20',
        // External, so that the map can be fixed up (source-map.ts) before it is inlined.
        sourcemap: 'external',
        // The cache's bundles only need positions; a standalone build may run where the sources are not.
        sourcesContent: !isRun,
        logLevel: 'silent',
        absWorkingDir: process.cwd(),
        outfile,
        define: locationDefines,
        // No `import … from 'node:module'`: an ES-module facade of a builtin costs start-up time
        // (see src/builtins.ts); Node before 20.16 takes the `await import` branch.
        banner: { js: banners[format].kept + banners[format].require },
        footer: { js: format === 'cjs' && isRun ? RUN_CJS_EPILOGUE : '' },
        plugins: [runtimeGlobalsPlugin(isRun), runtimeHttpPlugin(isRun), sourceLocationPlugin(entry, records)],
      }),
    );
  try {
    const buildFormat: ModuleFormat = options.commonJs ? 'cjs' : 'esm';
    const { result, format } = isRun ? await buildForRun(build) : { result: await build(buildFormat), format: buildFormat };
    const text = result.outputFiles.find((file) => !file.path.endsWith('.map'))!.text;
    const code = withoutUnusedRequire(text, banners[format]);
    const map = JSON.parse(result.outputFiles.find((file) => file.path.endsWith('.map'))!.text) as RawSourceMap;
    fixSourceMap(map, path.dirname(outfile), records.preludeLengths, isRun);
    const epilogue = isRun && format === 'cjs' ? text.lastIndexOf(`\n${RUN_CJS_EPILOGUE}`) : -1;
    const virtualSource = map.sources.findIndex((source) => source.startsWith('krandog:'));
    if (epilogue >= 0 && virtualSource >= 0) mapLineTo(map, text.slice(0, epilogue + 1).split('\n').length - 1, virtualSource);
    const inputFiles = Object.keys(result.metafile.inputs)
      .filter((input) => !input.includes(':') && input !== 'krandog-entry.js')
      .map((input) => path.resolve(input));
    const warnings = await esbuild.formatMessages(shownWarnings(withoutPreludes(result.warnings, records), options.commonJs), {
      kind: 'warning',
      color: useColor(process.stderr),
      terminalWidth: process.stderr.columns,
    });
    return { code: code + inlineSourceMapComment(map), format, inputs: await collectInputs(inputFiles, records), warnings: warnings.join('') };
  } catch (error) {
    if (isBuildFailure(error)) {
      const hinted = await withKrandogHints(withoutPreludes(error.errors, records), entry, esbuild, options.commonJs);
      const messages = await esbuild.formatMessages(hinted, {
        kind: 'error',
        color: useColor(process.stderr),
        terminalWidth: process.stderr.columns,
      });
      const files = error.errors.flatMap((message) => (message.location ? [path.resolve(message.location.file)] : []));
      throw new BundleError(messages.join(''), files);
    }
    throw error;
  } finally {
    // esbuild serves builds from a child process; stop it so the script runs alone in this process.
    await esbuild.stop();
    await reaped(children);
  }
}

function fixSourceMap(map: RawSourceMap, outDir: string, preludeLengths: Map<string, number>, absolute: boolean): void {
  // Virtual modules ('krandog:lazy-globals') keep their names.
  const sourcePaths = map.sources.map((source) => (/^[a-z]+:/.test(source) ? source : path.resolve(outDir, source)));
  const shifts = new Map<number, number>();
  sourcePaths.forEach((source, index) => {
    const length = preludeLengths.get(source);
    if (length) shifts.set(index, length);
  });
  removeFirstLinePreludes(map, shifts);
  // A cached bundle lives elsewhere than the sources; absolute paths keep stack frames right.
  if (absolute) map.sources = sourcePaths;
}

async function collectInputs(files: string[], records: LoadRecords): Promise<InputFile[]> {
  const inputs = new Map<string, InputFile>();
  for (const file of [...files, ...resolutionConfigFiles(files)]) {
    const record = records.inputs.get(file) ?? (await recordInput(file));
    if (record) inputs.set(file, record);
  }
  return [...inputs.values()];
}

/** Messages on line 1 of a file with a prelude (plugins.ts) pointed into the prelude's line: shifted back. */
function withoutPreludes(messages: Message[], records: LoadRecords): Message[] {
  return messages.map((message) => {
    const location = message.location;
    const length = location?.line === 1 ? records.preludeLengths.get(path.resolve(location.file)) : undefined;
    if (!location || !length || location.column < length) return message;
    return { ...message, location: { ...location, column: location.column - length, lineText: location.lineText.slice(length) } };
  });
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors) && (error as BuildFailure).errors.length > 0;
}

/**
 * A cached bundle ('run' mode) is CommonJS when it can be: Node loads a CommonJS module faster
 * than an ES module (a few percent of a hello world's start-up). It stays an ES module when the
 * script needs one: a top-level await (esbuild refuses it in CommonJS: only then is there a second
 * build) or import.meta beyond .url, .dirname and .filename (esbuild warns that it is empty).
 * A CommonJS bundle require()s krandog's runtime (ES modules), so it needs require(esm).
 */
async function buildForRun(build: (format: ModuleFormat) => Promise<BuildResult<{ metafile: true; write: false }>>) {
  if (!process.features.require_module) return { result: await build('esm'), format: 'esm' as ModuleFormat };
  try {
    const result = await build('cjs');
    if (!result.warnings.some((warning) => warning.id === 'empty-import-meta')) return { result, format: 'cjs' as ModuleFormat };
  } catch (error) {
    if (!(isBuildFailure(error) && error.errors.some((message) => COMMONJS_TOP_LEVEL_AWAIT.test(message.text)))) throw error;
  }
  return { result: await build('esm'), format: 'esm' as ModuleFormat };
}

/**
 * The bundle without the banner's `require` when no code in it can use one (node:module is not
 * loaded otherwise: start-up time). Its line stays, so that the source map still fits.
 */
function withoutUnusedRequire(code: string, banner: Banner): string {
  const full = banner.kept + banner.require;
  const rest = code.slice(full.length);
  return banner.require && code.startsWith(full) && !/\b(?:require|eval)\b/.test(rest) ? banner.kept + rest : code;
}
