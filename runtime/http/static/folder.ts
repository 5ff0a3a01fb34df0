// The `static` folder of a handler object: GET and HEAD of a path under it get the file there
// (`index.html` for a folder), through answerWithFile; what it does not hold is left to the next
// handler. Nothing outside the folder is ever read (safe-path.ts).
import fs from 'node:fs';
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

  constructor(root: string) {
    this.#root = resolveFromScript(root);
  }

  /** The answer for `request`, or undefined when the folder has nothing for it. */
  async answer(request: FolderRequest): Promise<ResponseObject | undefined> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const target = staticTarget(request.pathname);
    if (target === REFUSED) return FORBIDDEN;
    if (target === NOT_SERVED) return undefined;
    // Resolved per request: the folder may be created, or replaced by a symlink, while the server runs.
    const root = await realPath(this.#root);
    if (root === undefined) return undefined;
    let file = await realPath(path.join(root, ...target.segments));
    if (file === undefined) return undefined;
    if (!isInside(root, file)) return FORBIDDEN;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (stat?.isDirectory()) {
      // `/docs` → `/docs/`, so that the page's relative links resolve inside the folder.
      // One leading slash only: `//host` would send the browser to another site.
      if (!target.directory) return { status: 301, headers: { Location: `/${request.pathname.replace(/^\/+/, '')}/${searchPart(request.url)}` } };
      file = await realPath(path.join(file, 'index.html'));
      if (file === undefined) return undefined;
      if (!isInside(root, file)) return FORBIDDEN;
    } else if (target.directory || stat === undefined || !stat.isFile()) {
      return undefined;
    }
    const answer = await answerWithFile(new FileResponse(file), request, root);
    return answer.status === 404 ? undefined : answer;
  }
}

async function realPath(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.realpath(file);
  } catch {
    return undefined;
  }
}

function searchPart(url: string): string {
  const question = url.indexOf('?');
  return question === -1 ? '' : url.slice(question);
}
