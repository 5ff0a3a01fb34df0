// The `static` folder of a handler object: GET and HEAD of a path under it get the file there
// (`index.html` for a folder), through answerWithFile; what it does not hold is left to the next
// handler. Nothing outside the folder is ever read (safe-path.ts).
import fs, { type Stats } from 'node:fs';
import path from 'node:path';
import type { ResponseObject } from '../response.ts';
import { answerWithFile, FileResponse, type FileRequest } from './file-response.ts';
import { isInside, NOT_SERVED, REFUSED, staticTarget } from './safe-path.ts';
import { resolveFromScript } from './script-dir.ts';

const FORBIDDEN: ResponseObject = { status: 403, body: 'Forbidden' };

/** The request fields a static folder reads. */
export interface FolderRequest extends FileRequest {
  readonly pathname: string;
  readonly url: string;
}

export class StaticFolder {
  /** The folder as given, made absolute. */
  readonly #root: string;
  /** Its real path, once it exists (looked up again until then). */
  #realRoot: string | undefined;

  constructor(root: string) {
    this.#root = resolveFromScript(root);
  }

  /** The answer for `request`, or undefined when the folder has nothing for it. */
  answer(request: FolderRequest): ResponseObject | undefined {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const target = staticTarget(request.pathname);
    if (target === REFUSED) return FORBIDDEN;
    if (target === NOT_SERVED) return undefined;
    const root = (this.#realRoot ??= realPath(this.#root));
    if (root === undefined) return undefined;
    let file = realPath(path.join(root, ...target.segments));
    if (file === undefined) return undefined;
    if (!isInside(root, file)) return FORBIDDEN;
    let stat = statOf(file);
    if (stat?.isDirectory()) {
      // `/docs` → `/docs/`, so that the page's relative links resolve inside the folder.
      // One leading slash only: `//host` would send the browser to another site.
      if (!target.directory) return { status: 301, headers: { Location: `/${request.pathname.replace(/^\/+/, '')}/${searchPart(request.url)}` } };
      file = realPath(path.join(file, 'index.html'));
      if (file === undefined) return undefined;
      if (!isInside(root, file)) return FORBIDDEN;
      stat = statOf(file);
    } else if (target.directory) {
      return undefined;
    }
    if (stat === undefined || !stat.isFile()) return undefined;
    return answerWithFile(new FileResponse(file), request, { root, stat });
  }
}

// Synchronous, as in file-response.ts: microseconds on a local disk, against a thread-pool round trip.
function statOf(file: string): Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function realPath(file: string): string | undefined {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return undefined;
  }
}

function searchPart(url: string): string {
  const question = url.indexOf('?');
  return question === -1 ? '' : url.slice(question);
}
