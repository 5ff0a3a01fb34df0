// The commander program, parsed in-process with the commands replaced by spies (no spawning).
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('../../../src/cli/run-command.ts', () => ({ runScript: vi.fn(async () => {}) }));
vi.mock('../../../src/cli/watch-command.ts', () => ({ watchScript: vi.fn(async () => {}) }));
vi.mock('../../../src/cli/build-command.ts', () => ({ buildScript: vi.fn(async () => {}) }));
vi.mock('../../../src/test/command.ts', () => ({ testCommand: vi.fn(async () => {}) }));

const { runScript } = await import('../../../src/cli/run-command.ts');
const { watchScript } = await import('../../../src/cli/watch-command.ts');
const { buildScript } = await import('../../../src/cli/build-command.ts');
const { testCommand } = await import('../../../src/test/command.ts');

beforeAll(() => {
  // Defined by build.mjs in the real CLI.
  Object.assign(globalThis, { KRANDOG_VERSION: '9.9.9-test' });
});

afterEach(() => {
  vi.clearAllMocks();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function parse(...args: string[]) {
  const { runProgram } = await import('../../../src/cli/program.ts');
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await runProgram(['node', 'krandog', ...args]);
  const text = (spy: typeof stdout) => spy.mock.calls.map(([chunk]) => String(chunk)).join('');
  const result = { stdout: text(stdout), stderr: text(stderr), exitCode: process.exitCode };
  stdout.mockRestore();
  stderr.mockRestore();
  return result;
}

describe('krandog program', () => {
  it('runs a script with its arguments; options after the script are the script’s', async () => {
    await parse('--no-cache', 'app.js', '--watch', 'x');
    expect(runScript).toHaveBeenCalledWith('app.js', ['--watch', 'x'], { cache: false });
  });

  it('--watch goes to the watch supervisor', async () => {
    await parse('--watch', 'app.ts', 'a');
    expect(watchScript).toHaveBeenCalledWith('app.ts', ['a'], { cache: true });
    expect(runScript).not.toHaveBeenCalled();
  });

  it('build takes the script and --outfile / -o', async () => {
    await parse('build', 'app.ts', '--outfile', 'out.mjs');
    expect(buildScript).toHaveBeenCalledWith('app.ts', 'out.mjs');
    await parse('build', 'app.ts', '-o', 'other.mjs');
    expect(buildScript).toHaveBeenLastCalledWith('app.ts', 'other.mjs');
  });

  it('test takes paths and its own options', async () => {
    await parse('test', 'a.test.js', 'test/', '--jobs', '2', '-t', 'adds', '--bail', '--reporter', 'junit', '-o', 'r.xml', '--no-cache');
    expect(testCommand).toHaveBeenCalledWith(['a.test.js', 'test/'], {
      jobs: '2',
      testNamePattern: 'adds',
      bail: true,
      reporter: 'junit',
      outfile: 'r.xml',
      cache: false,
    });
    await parse('test');
    expect(testCommand).toHaveBeenLastCalledWith([], { cache: true });
  });

  it.each([
    [['test', '--bogus'], "krandog: unknown option '--bogus' (see krandog --help)\n"],
    [['--bogus', 'app.js'], "krandog: unknown option '--bogus' (see krandog --help)\n"],
    [[], "krandog: missing required argument 'script' (see krandog --help)\n"],
    [['build', 'app.js', '--outfile'], "krandog: option '-o, --outfile <file>' argument missing (see krandog --help)\n"],
  ])('%j is a one-line usage error with exit code 2', async (args, message) => {
    const result = await parse(...args);
    expect(result).toEqual({ stdout: '', stderr: message, exitCode: 2 });
    expect(runScript).not.toHaveBeenCalled();
  });

  it('prints the version and the help with exit code 0', async () => {
    expect(await parse('--version')).toEqual({ stdout: '9.9.9-test\n', stderr: '', exitCode: 0 });
    const help = await parse('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^Usage: krandog/);
    expect((await parse('build', '--help')).stdout).toBe(help.stdout);
  });
});
