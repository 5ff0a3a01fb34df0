// esbuild's advice in its error notes speaks of esbuild's options; krandog has none of them. These
// rewrites give the advice that makes sense for a krandog script instead.
import type { Message, PartialMessage, PartialNote } from 'esbuild';
import { fs, path } from '../builtins.ts';
import { SOURCE_FILE } from './plugins.ts';

type Esbuild = typeof import('esbuild');

/** esbuild's note on a bare import it cannot find: mark the path as external (an option krandog does not have). */
const EXTERNAL_ADVICE = /^You can mark the path ".*" as external/;
const UNRESOLVED = /^Could not resolve "(.*)"$/;
/** esbuild's error for a top-level await in a CommonJS build, which speaks of its "output format" option. */
export const COMMONJS_TOP_LEVEL_AWAIT = /^Top-level await is currently not supported with the "cjs" output format/;

/** A `krandog build` outfile that node loads as CommonJS: why (`reason`), and its name as an ES module. */
export interface CommonJsOutfile {
  reason: string;
  moduleName: string;
}

/**
 * The errors of a failed build of `entry`, with krandog's hints. `commonJs` is set for a
 * `krandog build` whose outfile node loads as CommonJS.
 */
export async function withKrandogHints(errors: Message[], entry: string, esbuild: Esbuild, commonJs?: CommonJsOutfile): Promise<PartialMessage[]> {
  const readAsTypeScript = errors.some((error) => isInEntry(error, entry)) && (await parsesAsTypeScript(entry, esbuild));
  return errors.map((error) => {
    if (commonJs && COMMONJS_TOP_LEVEL_AWAIT.test(error.text)) {
      const advice = `Top-level await needs an ES module, but ${commonJs.reason}: name the outfile ${commonJs.moduleName}.`;
      return withNotes({ ...error, text: 'Top-level await cannot be used in a CommonJS file' }, [{ text: advice }]);
    }
    if (readAsTypeScript && isInEntry(error, entry)) {
      const name = `${path.basename(entry, path.extname(entry))}.ts`;
      const kind = path.extname(entry) === '' ? 'a file without an extension' : `a ${path.extname(entry)} file`;
      return withNotes(error, [...error.notes, { text: `krandog reads ${kind} as JavaScript; name it ${name} to use TypeScript.` }]);
    }
    if (!error.notes.some((note) => EXTERNAL_ADVICE.test(note.text))) return error;
    const notes: PartialNote[] = error.notes.filter((note) => !EXTERNAL_ADVICE.test(note.text));
    const specifier = UNRESOLVED.exec(error.text)?.[1];
    // esbuild's other notes (a path a package does not export, a missing "./") already say what is wrong.
    if (notes.length === 0 && specifier !== undefined) notes.push({ text: installAdvice(specifier) });
    return withNotes(error, notes);
  });
}

/**
 * The warnings a user should see: krandog's bundles give every module its import.meta.url,
 * .dirname and .filename (plugins.ts), but the rest of import.meta (resolve, main) is empty in a
 * CommonJS build. Other warnings stay unshown, as under `krandog run`.
 */
export function shownWarnings(warnings: Message[], commonJs?: CommonJsOutfile): PartialMessage[] {
  if (!commonJs) return [];
  return warnings
    .filter((warning) => warning.id === 'empty-import-meta')
    .map((warning) =>
      withNotes({ ...warning, text: '"import.meta" is empty in a CommonJS file, but for .url, .dirname and .filename' }, [
        { text: `${capitalized(commonJs.reason)}; name the outfile ${commonJs.moduleName} to have all of import.meta.` },
      ]),
    );
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function installAdvice(specifier: string): string {
  const segments = specifier.split('/');
  const name = segments.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  return `Packages come from node_modules in the script's folder or above it: install it (npm install ${name}), or check the name.`;
}

function isInEntry(error: Message, entry: string): boolean {
  return !SOURCE_FILE.test(entry) && error.location !== null && path.resolve(error.location.file) === entry;
}

/** Whether the entry, read as JavaScript and failing, is TypeScript. */
async function parsesAsTypeScript(entry: string, esbuild: Esbuild): Promise<boolean> {
  try {
    await esbuild.transform(fs.readFileSync(entry, 'utf8'), { loader: 'ts', format: 'esm', logLevel: 'silent' });
    return true;
  } catch {
    return false;
  }
}

function withNotes(error: Message, notes: PartialNote[]): PartialMessage {
  return { ...error, notes };
}
