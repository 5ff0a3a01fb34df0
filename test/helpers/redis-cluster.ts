// A Redis Cluster of three masters for the sharded pub/sub tests, started by the test itself:
// redis-server --cluster-enabled yes on three loopback ports (state in a temp dir), joined with
// `redis-cli --cluster create`. Needs redis-server and redis-cli (Redis 7 for sharded pub/sub).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { within } from './within.ts';
import { hasRedisBinary, unusedPort } from './redis-server.ts';

/** Why a cluster cannot be started here, or undefined when it can. Throws under CI, where it must run. */
export function clusterUnavailableReason(): string | undefined {
  let reason: string | undefined;
  if (!hasRedisBinary) reason = 'no redis-server on PATH (apt-get install redis-server)';
  else if (spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status !== 0) reason = 'no redis-cli on PATH (apt-get install redis-tools)';
  else {
    const version = /v=(\d+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout)?.[1];
    if (Number(version) < 7) reason = `redis-server ${version} has no sharded pub/sub (Redis 7 needed)`;
  }
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`Redis Cluster tests must run in CI: ${reason}`);
  console.warn(`skipping Redis Cluster tests: ${reason}`);
  return reason;
}

export class RedisCluster {
  readonly ports: number[];
  readonly #dir: string;
  /** The redis-server of each port, by index. */
  readonly #children: ChildProcess[] = [];

  private constructor(ports: number[], dir: string) {
    this.ports = ports;
    this.#dir = dir;
  }

  /** Starts three masters and joins them; resolves once every node reports cluster_state:ok. */
  static async start(): Promise<RedisCluster> {
    const ports = [await unusedPort(), await unusedPort(), await unusedPort()];
    const cluster = new RedisCluster(ports, mkdtempSync(path.join(tmpdir(), 'krandog-redis-cluster-')));
    try {
      await Promise.all(ports.map((port, index) => cluster.#startNode(index, port)));
      const create = spawn('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      create.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
      create.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
      const [code] = await within(once(create, 'exit'), 20_000, 'redis-cli --cluster create did not finish');
      if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}):\n${output}`);
      await within(cluster.#untilOk(), 20_000, 'the Redis Cluster never reported cluster_state:ok');
      return cluster;
    } catch (error) {
      await cluster.kill();
      throw error;
    }
  }

  /** A node's URL: a client finds the others from it. */
  get url(): string {
    return `redis://127.0.0.1:${this.ports[0]}`;
  }

  /** Stops node `index` (SIGSTOP): its connections stay open and nothing answers on them. */
  pause(index: number): void {
    this.#children[index].kill('SIGSTOP');
  }

  resume(index: number): void {
    this.#children[index].kill('SIGCONT');
  }

  /** Kills node `index` at once (SIGKILL) and waits until it is gone. */
  async killNode(index: number): Promise<void> {
    const child = this.#children[index];
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** Starts node `index` again on its port, from its nodes.conf (it rejoins the cluster, empty). */
  async restartNode(index: number): Promise<void> {
    await this.#startNode(index, this.ports[index]);
    await within(this.#untilOk(), 20_000, 'the Redis Cluster never reported cluster_state:ok again');
  }

  async #startNode(index: number, port: number): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--dir', this.#dir, '--save', '', '--appendonly', 'no', '--cluster-node-timeout', '2000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#children[index] = child;
    let output = '';
    await within(
      new Promise<void>((resolve, reject) => {
        child.stdout!.setEncoding('utf8').on('data', (text: string) => {
          output += text;
          if (output.includes('Ready to accept connections')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`redis-server (cluster node ${port}) exited (${code}):\n${output}`)));
      }),
      20_000,
      `redis-server on ${port} never became ready`,
    );
  }

  async #untilOk(): Promise<void> {
    for (;;) {
      const states = this.ports.map((port) => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout);
      if (states.every((state) => state.includes('cluster_state:ok'))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async kill(): Promise<void> {
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await once(child, 'exit');
      }),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
