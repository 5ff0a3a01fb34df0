import { fs, path } from '../builtins.ts';

/**
 * Writes a file so that readers see either the old or the whole new content, never a part:
 * a temporary file with a name no other process uses, then rename(2), which is atomic within
 * one file system. Two krandog processes storing the same entry at once just replace each other.
 */
export function writeFileAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
