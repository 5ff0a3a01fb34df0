// The type declarations as a user gets them: krandog installed with `npm install -D` (from a packed
// tarball, or from a checkout) into a new project, the README's tsconfig, and tsc on a script.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, makeTempDir } from '../helpers/krandog-cli.ts';
import { repoRoot } from '../helpers/repo.ts';

const tscBin = path.join(repoRoot, 'node_modules/typescript/bin/tsc');

function npm(args: string[], cwd: string): void {
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}${result.stderr}${result.error ?? ''}`);
}

/** A new project with the fixture's tsconfig.json and server.ts, and krandog installed from `source`. */
function projectWithKrandog(source: string): string {
  const project = makeTempDir('krandog-types-');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'types-user', private: true }));
  cpSync(fixture('types-package'), project, { recursive: true });
  // No install scripts: krandog's `prepare` (a build) and esbuild's binary are not needed by tsc.
  npm(['install', '-D', '--ignore-scripts', source], project);
  return project;
}

function tsc(project: string, config = 'tsconfig.json') {
  const result = spawnSync(process.execPath, [tscBin, '-p', path.join(project, config)], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** tsc fails on mistakes.ts, with one error on each of its three mistakes. */
function expectMistakesReported(project: string): void {
  const result = tsc(project, 'tsconfig.mistakes.json');
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/mistakes\.ts\(4,\d+\): error TS2551: Property 'pathnam' does not exist/);
  expect(result.output).toMatch(/mistakes\.ts\(5,\d+\): error TS\d+/);
  expect(result.output).toMatch(/mistakes\.ts\(6,\d+\): error TS\d+/);
}

describe('type declarations of an installed krandog', () => {
  it('npm install -D <packed tarball> + "types": ["krandog"] types the globals and the http module; so does /// <reference types="krandog" />', () => {
    const packDir = makeTempDir('krandog-pack-');
    npm(['pack', '--ignore-scripts', '--pack-destination', packDir], repoRoot);
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const project = projectWithKrandog(path.join(packDir, `krandog-${version}.tgz`));
    // Node's types come from the project: npm installs the @types/node peer dependency with krandog.
    expect(existsSync(path.join(project, 'node_modules/@types/node/package.json'))).toBe(true);
    expect(tsc(project)).toEqual({ status: 0, output: '' });
    expect(tsc(project, 'tsconfig.reference.json')).toEqual({ status: 0, output: '' });
    expectMistakesReported(project);
  }, 180_000);

  it('npm install -D <checkout folder> + the same tsconfig line does too', () => {
    const project = projectWithKrandog(repoRoot);
    expect(tsc(project)).toEqual({ status: 0, output: '' });
    expectMistakesReported(project);
  }, 180_000);
});
