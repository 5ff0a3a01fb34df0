// The type declarations as a user gets them: krandog installed with `npm install -D` (from a packed
// tarball, or from a checkout) into a new project, the README's tsconfig, and tsc on a script.
// The two installs, and the tsc runs on each project, go at the same time: each is a process of its own.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture, makeTempDir } from '../helpers/krandog-cli.ts';
import { repoRoot } from '../helpers/repo.ts';

const tscBin = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

async function npm(args: string[], cwd: string): Promise<void> {
  try {
    await run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 120_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}${error}`);
  }
}

/** A new project with the fixture's tsconfig.json and server.ts, and krandog installed from `source`. */
async function projectWithKrandog(source: string): Promise<string> {
  const project = makeTempDir('krandog-types-');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'types-user', private: true }));
  cpSync(fixture('types-package'), project, { recursive: true });
  // No install scripts: krandog's `prepare` (a build) and esbuild's binary are not needed by tsc.
  await npm(['install', '-D', '--ignore-scripts', source], project);
  return project;
}

async function tsc(project: string, config = 'tsconfig.json'): Promise<{ status: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [tscBin, '-p', path.join(project, config)], { encoding: 'utf8', timeout: 60_000 });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw error;
    return { status: code, output: `${stdout ?? ''}${stderr ?? ''}` };
  }
}

/** tsc fails on mistakes.ts, with one error on each of its three mistakes. */
function expectMistakesReported(result: { status: number; output: string }): void {
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/mistakes\.ts\(4,\d+\): error TS2551: Property 'pathnam' does not exist/);
  expect(result.output).toMatch(/mistakes\.ts\(5,\d+\): error TS\d+/);
  expect(result.output).toMatch(/mistakes\.ts\(6,\d+\): error TS\d+/);
}

describe.concurrent('type declarations of an installed krandog', () => {
  it('npm install -D <packed tarball> + "types": ["krandog"] types the globals and the http module; so does /// <reference types="krandog" />', async () => {
    const packDir = makeTempDir('krandog-pack-');
    await npm(['pack', '--ignore-scripts', '--pack-destination', packDir], repoRoot);
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const project = await projectWithKrandog(path.join(packDir, `krandog-${version}.tgz`));
    // Node's types come from the project: npm installs the @types/node peer dependency with krandog.
    expect(existsSync(path.join(project, 'node_modules/@types/node/package.json'))).toBe(true);
    const [plain, reference, mistakes] = await Promise.all([tsc(project), tsc(project, 'tsconfig.reference.json'), tsc(project, 'tsconfig.mistakes.json')]);
    expect(plain).toEqual({ status: 0, output: '' });
    expect(reference).toEqual({ status: 0, output: '' });
    expectMistakesReported(mistakes);
  }, 180_000);

  it('npm install -D <checkout folder> + the same tsconfig line does too', async () => {
    const project = await projectWithKrandog(repoRoot);
    const [plain, mistakes] = await Promise.all([tsc(project), tsc(project, 'tsconfig.mistakes.json')]);
    expect(plain).toEqual({ status: 0, output: '' });
    expectMistakesReported(mistakes);
  }, 180_000);
});
