// Reading another process's CPU time and memory from /proc (Linux), to show whether the server
// under test or the load generator was the bottleneck, and how much memory connections cost.
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ); 100 on every mainstream Linux architecture. */
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after the command name, which may itself contain spaces. */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds used by `pid` so far (utime + stime, all threads). With `children`, also those of
 * its children that have exited and been waited for (cutime + cstime).
 * Returns NaN when the process is gone or /proc is unavailable.
 */
export function cpuSeconds(pid, { children = false } = {}) {
  try {
    // After the name: state is index 0, so utime (field 14) is 11, stime 12, cutime 13, cstime 14.
    const fields = statFields(pid);
    let ticks = Number(fields[11]) + Number(fields[12]);
    if (children) ticks += Number(fields[13]) + Number(fields[14]);
    return ticks / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Parses the CPU seconds (own + waited-for children) out of a saved /proc/<pid>/stat line. */
export function cpuSecondsFromStatLine(line) {
  const fields = line.slice(line.lastIndexOf(')') + 2).trim().split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** Resident set size of `pid` in bytes, or NaN when it cannot be read. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU use between two samples as a share of one core (1 = one core busy the whole time). */
export function coreShare(cpuBefore, cpuAfter, seconds) {
  return (cpuAfter - cpuBefore) / seconds;
}
