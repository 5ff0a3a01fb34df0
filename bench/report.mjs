// Turns measurements into the one table (stdout) and the markdown report (bench/results.md).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { summarize } from './stats.mjs';

/** A 1-minute load average above this before a run means other work shared the cores. */
const BUSY_LOAD = 1;
/** Below this share of a core a process was not the bottleneck. */
const SATURATED = 0.85;

export function formatNumber(value) {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e5) return `${(value / 1e3).toFixed(0)}k`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function percent(share) {
  return Number.isFinite(share) ? `${Math.round(share * 100)}%` : '—';
}

/** Why a throughput number may say more about the machine than the server. */
function bottleneckNote(serverCores, loadgenCores) {
  if (!Number.isFinite(serverCores) || !Number.isFinite(loadgenCores)) return null;
  if (serverCores >= SATURATED) return null;
  if (loadgenCores >= SATURATED) return 'load generator saturated';
  return 'server below one core (busy machine or waiting on I/O)';
}

/**
 * One table row per (workload, server): `{ workload, label, summary, cpu, ratio, notes }`.
 * `cells` is `Map(workloadId → [{ key, label, runs, failure?, notes? }])`.
 */
export function tableRows(workloads, cells) {
  const rows = [];
  for (const workload of workloads) {
    const entries = cells.get(workload.id) ?? [];
    const values = (entry) => entry.runs.map((run) => workload.value(run));
    const base = entries.find((entry) => entry.key === workload.base && !entry.failure);
    const baseSummary = base ? summarize(values(base)) : null;
    const floor = entries.find((entry) => entry.key === workload.floor && !entry.failure);
    const floorSummary = floor ? summarize(values(floor)) : null;
    for (const entry of entries) {
      const summary = entry.failure ? null : summarize(values(entry));
      const serverCores = summarize(entry.runs.map((run) => run.serverCores))?.median;
      const loadgenCores = summarize(entry.runs.map((run) => run.loadgenCores))?.median;
      const notes = [...new Set([...(entry.notes ?? []), ...entry.runs.flatMap((run) => run.notes ?? [])])];
      if (entry.failure) notes.unshift(`n/a: ${entry.failure}`);
      else if (!summary) notes.unshift('n/a: no successful run');
      if (summary && floorSummary && workload.floorFor?.includes(entry.key)) {
        const over = summary.median - floorSummary.median;
        notes.unshift(`${over >= 0 ? '+' : ''}${formatNumber(over)} ${workload.unit} over the bare socket`);
      }
      if (summary && entry === floor) notes.unshift('the floor: a plain net server holding each socket after its 101');
      if (summary && workload.rowNotes) notes.unshift(...workload.rowNotes(entry.runs));
      const blocks = entry.runs.map((run) => run.eventLoopMaxMs).filter(Number.isFinite);
      if (blocks.length > 0) {
        notes.unshift(`longest event-loop block, ${workload.blockingProbe?.label ?? 'large messages'}: ${formatNumber(Math.max(...blocks))} ms`);
      }
      if (summary && workload.kind !== 'startup' && workload.load?.mode !== 'idle') {
        const note = bottleneckNote(serverCores, loadgenCores);
        if (note) notes.push(note);
      }
      rows.push({
        workload,
        label: entry.label,
        summary,
        ratio: summary && baseSummary ? summary.median / baseSummary.median : NaN,
        serverCores,
        loadgenCores,
        notes,
      });
    }
  }
  return rows;
}

const NOTE_WIDTH = 90;
const HEADER = ['Workload', 'Server', 'Median', 'Spread (min–max)', 'Ratio', 'Server CPU', 'Loadgen CPU', 'Notes'];

function rowCells(row, index, rows) {
  const { workload, summary } = row;
  const first = index === 0 || rows[index - 1].workload !== workload;
  const title = first ? `${workload.title}${workload.higherIsBetter ? '' : ' ↓'}` : '';
  const median = summary ? `${formatNumber(summary.median)} ${workload.unit}` : 'n/a';
  const spread = summary ? (summary.n > 1 ? `${formatNumber(summary.min)}–${formatNumber(summary.max)}` : `(1 run)`) : '';
  const ratio = Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}× ${workload.base}` : '';
  const notes = row.notes.join('; ');
  // Full failure reasons are listed under "Not measured"; the table keeps its width.
  const shortNotes = notes.length > NOTE_WIDTH ? `${notes.slice(0, NOTE_WIDTH - 1)}…` : notes;
  return [title, row.label, median, spread, ratio, percent(row.serverCores), percent(row.loadgenCores), shortNotes];
}

/** The table as padded markdown: readable in a terminal and renders the same on GitHub. */
export function markdownTable(rows) {
  const body = rows.map((row, index) => rowCells(row, index, rows).map((cell) => cell.replaceAll('|', '\\|')));
  const widths = HEADER.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column].length)));
  const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column >= 2 && column <= 6 ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(HEADER), rule, ...body.map(line)].join('\n');
}

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Facts about the machine and the code that the numbers depend on. */
export function machineInfo(peers, { pinned, loadBefore }) {
  const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--', 'runtime', 'src', 'build.mjs']);
  const versions = ['node', 'ws', 'bufferutil', 'bun', 'deno', 'wrk']
    .map((name) => peers[name]?.version ?? `${name}: n/a`)
    .join(', ');
  return {
    commit,
    dirty: dirty !== '',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: `${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    versions,
    pinned,
    loadBefore,
  };
}

const METHOD = `- Every server runs alone on core 0 and the load generator on core 1 (\`taskset\`), over loopback.
  Each run starts a fresh server, warms it up, then times a window; runs are interleaved across servers.
  Median of the runs, spread = min–max, Ratio = median ÷ the baseline's median in this same run
  (↓ rows: lower is better). CPU = share of one core used during the timed window (/proc utime+stime).
- WebSocket rows use bench/loadgen.mjs: raw sockets, frames encoded once with a fixed mask, replies
  counted from frame headers. Echo keeps N messages in flight per connection (closed loop); p99
  latency is taken over the echo 64 B runs. Broadcast: one of 500 connections publishes, all 500
  receive (krandog, ws and Deno loop over their clients; krandog (topics) and Bun use
  \`server.publish\`); at most 16
  messages' worth of deliveries are outstanding.
- \`ws\` = ws with JavaScript masking (\`WS_NO_BUFFER_UTIL=1\`), the baseline; \`ws + bufferutil\` uses
  the native add-on.
- permessage-deflate chat: echo of 4 KiB chat-like JSON text (16 different messages, about 6:1
  compressible), each sent compressed on its own (\`client_no_context_takeover\`); every server with
  its own default compression settings (krandog \`perMessageDeflate: true\`, ws \`perMessageDeflate:
  true\`, Bun \`perMessageDeflate: true\` and \`send(data, true)\`; Deno has no permessage-deflate).
  Replies must come compressed (RSV1), or the row says how many did not. For krandog and ws, a
  second server per run echoes 4 MiB compressed messages (1 connection, 1 in flight) with a 1 ms
  \`monitorEventLoopDelay\` probe inside: the Notes give its longest event-loop block, in ms.
- Memory: server RSS growth while 5,000 idle connections are open (after a warm-up of 200), ÷ 5,000.
  The floor is a plain \`net\` server on the same Node that answers each upgrade with a 101 and holds
  the socket; krandog's and ws's notes give their overhead above it (KB per connection).
- Handshakes: 50 loops, each opening a TCP connection, upgrading, echoing one 64 B message, then
  the close handshake (our Close, the server's Close) and an RST; completed cycles per second.
- HTTP: \`wrk -t1 -c50\` against a \`Hello, World!\` handler.
- Pub/sub fan-out (bench/pubsub-topics.mjs): 4 krandog processes with \`KRANDOG_PUBSUB\` on one
  fresh redis-server, each through a TCP proxy that counts bytes; 1,000 topics, one WebSocket client
  per process subscribed to a quarter of them; every process publishes 40 rounds (--quick: 10) of
  64 B to every topic. Deliveries/s = messages that reached a client ÷ time until the last arrived.
  Notes: bytes Redis sent each process ÷ bytes of all the processes' PUBLISH commands (one copy of
  every message): ≈0.25 when each process gets only its quarter, 1 if it got everything. Not pinned
  (the 4 processes and Redis share the cores); Server CPU is the 4 processes together. Needs
  redis-server on PATH, else n/a.
- Start-up: wall time from spawn to exit of \`console.log('hello')\` (bench/startup/hello.mjs), not pinned;
  krandog cached = its bundle cache warm, uncached = an empty \`XDG_CACHE_HOME\` for every run.`;

/** The whole results file. */
export function markdownReport({ table, info, settings, unavailable }) {
  const parts = [
    '# krandog benchmark results',
    '',
    '<!-- Written by `npm run bench` (bench/run.mjs); rerun it rather than editing by hand. -->',
    '',
    `Commit \`${info.commit}\`${info.dirty ? ' (with uncommitted changes in runtime/ or src/)' : ''}, ${info.date}, ` +
      `${settings.runs} run(s) of ${settings.durationMs / 1000} s after ${settings.warmupMs / 1000} s of warm-up` +
      `${settings.quick ? ' (--quick: smoke test, not numbers to quote)' : ''}.`,
    '',
    ...(info.loadBefore > BUSY_LOAD
      ? [`> **The machine was busy** (load average ${info.loadBefore.toFixed(2)} when the run started): these numbers check`,
        '> that the harness works; they are not results to quote.', '']
      : []),
    '## Machine',
    '',
    `- ${info.cpu}, ${info.memory}, ${info.kernel}`,
    `- ${info.versions}`,
    `- Pinning: ${info.pinned ? 'servers on core 0, load generator on core 1' : 'none (taskset or a second core missing)'}`,
    `- Load average (1 min) before the run: ${info.loadBefore.toFixed(2)}; after: ${os.loadavg()[0].toFixed(2)}`,
    '',
    '## Results',
    '',
    table,
    '',
    '## How it is measured',
    '',
    METHOD,
  ];
  if (unavailable.length > 0) parts.push('', '## Not measured', '', ...unavailable.map((line) => `- ${line}`));
  return parts.join('\n') + '\n';
}
