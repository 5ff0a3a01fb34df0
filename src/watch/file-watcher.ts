import type { FSWatcher } from 'node:fs';
import { fs, path } from '../builtins.ts';

/** Changes that arrive this close together are one change (an editor's save is several events). */
const SETTLE_MS = 100;

/**
 * Watches a set of files by watching their folders: editors often save by writing a new file and
 * renaming it over the old one, which a watch on the old file itself would miss.
 */
export class FileWatcher {
  #watchers = new Map<string, FSWatcher>();
  #files = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #changed = new Set<string>();
  readonly #onChange: (files: string[]) => void;

  constructor(onChange: (files: string[]) => void) {
    this.#onChange = onChange;
  }

  /** Replaces the watched set. */
  setFiles(files: Iterable<string>): void {
    this.#files.clear();
    for (const file of files) {
      const dir = path.dirname(file);
      let names = this.#files.get(dir);
      if (!names) this.#files.set(dir, (names = new Set()));
      names.add(path.basename(file));
    }
    for (const [dir, watcher] of this.#watchers) {
      if (!this.#files.has(dir)) {
        watcher.close();
        this.#watchers.delete(dir);
      }
    }
    for (const dir of this.#files.keys()) {
      if (!this.#watchers.has(dir)) this.#watchDir(dir);
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  #watchDir(dir: string): void {
    let watcher: FSWatcher;
    try {
      watcher = fs.watch(dir, (_event, name) => {
        const names = this.#files.get(dir);
        // No name means the platform could not say which file: assume ours.
        if (names && (!name || names.has(name.toString()))) this.#noteChange(path.join(dir, name ? name.toString() : ''));
      });
    } catch {
      return; // the folder is gone; the file will show up as missing when the script is rebuilt
    }
    watcher.on('error', () => {
      watcher.close();
      this.#watchers.delete(dir);
    });
    this.#watchers.set(dir, watcher);
  }

  #noteChange(file: string): void {
    this.#changed.add(file);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const changed = [...this.#changed];
      this.#changed.clear();
      this.#onChange(changed);
    }, SETTLE_MS);
  }
}
