// Every process the benchmark starts goes through here, so that each one can be stopped by
// its own process group and nothing outlives the run (also on Ctrl-C or the watchdog).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const groups = new Set();

/** Starts `command` as the leader of a new process group; output goes to `logFile` lines too. */
export function startGroup(command, args, { cwd, env, onLine } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const line of parts) {
        // Bounded: the 2000-file scenario can make a watcher very talkative.
        if (lines.length < 20_000) lines.push(line);
        onLine?.(line);
      }
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const group = { child, lines, exited, alive: true };
  child.once('exit', () => {
    group.alive = false;
  });
  groups.add(group);
  return group;
}

const signalGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
};

/** SIGTERM to the leader (gitpaas stops its children itself), then SIGKILL to the group. */
export async function stopGroup(group, { graceMs = 8000, wholeGroup = true } = {}) {
  if (group.alive) {
    if (wholeGroup) signalGroup(group.child.pid, 'SIGTERM');
    else group.child.kill('SIGTERM');
    await Promise.race([group.exited, sleep(graceMs)]);
  }
  signalGroup(group.child.pid, 'SIGKILL');
  groups.delete(group);
}

/** PIDs of app processes recorded in a start log that are still running server.js. */
export function survivors(startLog) {
  let text = '';
  try {
    text = readFileSync(startLog, 'utf8');
  } catch {
    return [];
  }
  const pids = text
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[0]));
  return [...new Set(pids)].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('server.js');
    } catch {
      return false;
    }
  });
}

/** Kills app processes a tool left behind (counted first by the caller), by PID. */
export function killSurvivors(startLog) {
  const left = survivors(startLog);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return left.length;
}

/** Last resort for Ctrl-C and the watchdog. */
export function killAllGroups() {
  for (const group of groups) signalGroup(group.child.pid, 'SIGKILL');
  groups.clear();
}

/** The live descendants of `pid` from /proc: how many, how many are zombies, how many run server.js. */
export function treeOf(pid) {
  const parent = new Map();
  const info = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, …
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(ppid));
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        // Zombies have no command line.
      }
      info.set(Number(entry), { state, cmdline });
    } catch {
      // Exited while we looked.
    }
  }
  const isDescendant = (p) => {
    for (let up = parent.get(p), hops = 0; up !== undefined && hops < 64; up = parent.get(up), hops++) {
      if (up === pid) return true;
    }
    return false;
  };
  let processes = 0;
  let zombies = 0;
  let apps = 0;
  for (const [p, { state, cmdline }] of info) {
    if (!isDescendant(p)) continue;
    processes++;
    if (state === 'Z') zombies++;
    else if (cmdline.includes('server.js')) apps++;
  }
  return { processes, zombies, apps };
}
