// The contenders of the sync benchmark (git-sync.mjs): the gitpaas git-sync bin, kubernetes/git-sync
// (the Go peer, when its binary is given), and the raw git floor. Every git they run is traced
// with GIT_TRACE2_EVENT, so each figure can be split into git's own time and the tool's.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startGroup, stopGroup } from './processes.mjs';

/** The bin measured: the built package, or BENCH_GITSYNC_BIN (another build's dist/cli.js). */
export const GIT_SYNC =
  process.env.BENCH_GITSYNC_BIN ??
  fileURLToPath(new URL('../../packages/git-sync/dist/cli.js', import.meta.url));

/** Wall clock in ms with µs precision, the clock git's trace2 timestamps use. */
export const wallNow = () => performance.timeOrigin + performance.now();

/** The environment every tool and git gets: a private HOME (the peer writes `git config --global`). */
export function toolEnv(base, trace) {
  const home = join(base, 'home');
  mkdirSync(home, { recursive: true });
  return {
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.invalid',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.invalid',
    ...(trace ? { GIT_TRACE2_EVENT: trace } : {}),
  };
}

/**
 * The argv of a tool: the gitpaas bin (and an older build of it, "before") runs under this node,
 * the peer is its own binary. `bins`: { peer, before } paths.
 */
export function toolCommand(tool, bins, args) {
  if (tool === 'gitpaas') return [process.execPath, [GIT_SYNC, ...args]];
  if (tool === 'before') return [process.execPath, [bins.before, ...args]];
  return [bins.peer, args];
}

/**
 * The git processes a trace file recorded, top-level ones only (a git started by git, such as
 * upload-pack behind a file:// fetch, is part of its parent's time): name, start and end (wall ms).
 */
export function readTrace(file, fromMs = 0) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const runs = new Map();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (event.sid.includes('/')) continue;
    const ms = Date.parse(event.time.replace(/(\.\d{3})\d*Z$/, '$1Z')) + micros(event.time);
    if (event.event === 'start') runs.set(event.sid, { name: commandName(event.argv), start: ms, end: null });
    else if (event.event === 'atexit' && runs.has(event.sid)) runs.get(event.sid).end = ms;
  }
  return [...runs.values()].filter((run) => run.start >= fromMs).sort((a, b) => a.start - b.start);
}

/** `git -c a=b fetch …` → "fetch". */
function commandName(argv) {
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '-c' || argv[i] === '-C') i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return '?';
}

/** The sub-millisecond part of an ISO time with µs ("…:38.123456Z" → 0.456). */
function micros(time) {
  const fraction = /\.(\d+)Z$/.exec(time)?.[1] ?? '';
  return fraction.length > 3 ? Number(`0.${fraction.slice(3)}`) : 0;
}

/** Time covered by the runs (overlaps counted once), ms. */
export function gitTime(runs) {
  let total = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (const { start, end } of runs) {
    const stop = end ?? start;
    if (stop <= until) continue;
    total += stop - Math.max(start, until);
    until = stop;
  }
  return total;
}

/** The descendants of `pid` right now (from /proc). */
export function childrenOf(pid) {
  const parent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const out = [];
  for (const [child] of parent) {
    for (let up = parent.get(child), hops = 0; up !== undefined && hops < 32; up = parent.get(up), hops++) {
      if (up === pid) {
        out.push(child);
        break;
      }
    }
  }
  return out;
}

/** Waits until `pid` has had no child process for 100 ms (its sync and clean-up are over). */
export async function settled(pid, timeoutMs = 120_000) {
  const end = performance.now() + timeoutMs;
  let quiet = 0;
  while (performance.now() < end) {
    quiet = childrenOf(pid).length === 0 ? quiet + 1 : 0;
    if (quiet >= 4) return;
    await sleep(25);
  }
  throw new Error(`process ${pid} still runs git after ${timeoutMs / 1000} s`);
}

export function linkOf(root) {
  try {
    return readlinkSync(join(root, 'app'));
  } catch {
    return null;
  }
}

/** Polls the link every 2 ms until it differs from `before`; the wall time it changed. */
export async function flipped(root, before, timeoutMs = 60_000) {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const now = linkOf(root);
    if (now && now !== before) return wallNow();
    await sleep(2);
  }
  throw new Error(`the link in ${root} did not move within ${timeoutMs / 1000} s`);
}

/** CPU seconds of `pid` and its waited-for children, and its resident set (kB). */
export function usage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14–17 (1-based), 12–15 here; clock ticks of 10 ms.
  const ticks = fields.slice(11, 15).reduce((sum, v) => sum + Number(v), 0);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuMs: ticks * 10, rssKb: rss };
}

/** A long-running tool on `root`, syncing on SIGHUP (and every `period`). */
export function startDaemon({ tool, bins, repo, root, base, trace, period = '1h' }) {
  const args = ['--repo', repo, '--root', root, '--ref', 'main', '--link', 'app', '--period', period];
  args.push('--sync-on-signal', 'SIGHUP', '--max-failures=-1');
  const [command, argv] = toolCommand(tool, bins, args);
  return startGroup(command, argv, { env: toolEnv(base, trace) });
}

export const stopDaemon = (group) => stopGroup(group, { graceMs: 5000 });

/** Runs `git` with the benchmark's environment; resolves when it exited. */
export function gitAsync(cwd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited ${code}`))));
  });
}

export const gitSync = (cwd, args, env) =>
  execFileSync('git', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();

/**
 * A bare repository with `files` files of ~200 bytes, 100 per directory (written by
 * fast-import: seconds, not minutes, for 20k files on a disk), and a clone to commit from.
 */
export function makeRepo(base, files, env) {
  const bare = join(base, 'repo.git');
  const work = join(base, 'work');
  gitSync(base, ['init', '-q', '--bare', '-b', 'main', bare], env);
  const blobs = [];
  for (let i = 0; i < files; i++) {
    const path = `d${Math.floor(i / 1000)}/e${Math.floor(i / 100) % 10}/f${i}.txt`;
    const data = `file ${i}\n`.repeat(20);
    blobs.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  }
  const stream = [
    'commit refs/heads/main\ncommitter bench <bench@example.invalid> 1700000000 +0000\ndata 8\ninitial\n',
    ...blobs,
    '\n',
  ].join('');
  const input = join(base, 'import.txt');
  writeFileSync(input, stream);
  execFileSync('sh', ['-c', `git fast-import --quiet < '${input}'`], {
    cwd: bare,
    env: { ...process.env, ...env },
  });
  gitSync(base, ['clone', '-q', `file://${bare}`, work], env);
  let n = 0;
  return {
    url: `file://${bare}`,
    /** Commits a change of one file and pushes it; the new hash. */
    push() {
      n++;
      writeFileSync(join(work, 'd0', 'e0', 'f0.txt'), `update ${n}\n`);
      gitSync(work, ['commit', '-q', '-am', `update ${n}`], env);
      gitSync(work, ['push', '-q', 'origin', 'main'], env);
      return gitSync(work, ['rev-parse', 'HEAD'], env);
    },
  };
}
