#!/usr/bin/env node
// `pnpm bench`: what publishing a 1-file change costs, a recycled worktree against a fresh
// checkout, through the real sync loop (built library, real git, file:// remote).
//
//   node bench/publish.mjs [--files 200,20000] [--updates 5] [--places disk,tmpfs] [--json out.json]
//
// "disk" is the OS temp dir (must not be tmpfs for the headline number); "tmpfs" is /dev/shm.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseOptions } from '@gitpaas/core';
import { createGitSync, options, toGitSyncOptions } from '../dist/index.js';
import { git } from './lib/harness.mjs';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '200,20000' },
    updates: { type: 'string', default: '5' },
    places: { type: 'string', default: 'disk,tmpfs' },
    json: { type: 'string' },
  },
});
const sizes = args.files.split(',').map(Number);
const updates = Number(args.updates);
const TMPFS_MAGIC = 0x01021994;
const places = args.places
  .split(',')
  .map((name) => ({ name, dir: name === 'tmpfs' ? '/dev/shm' : tmpdir() }))
  .filter((p) => existsSync(p.dir));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A bare repository with `files` files of ~200 bytes, 100 per directory, and a clone to commit from. */
function makeRepo(base, files) {
  const bare = join(base, 'repo.git');
  const work = join(base, 'work');
  git(base, 'init', '-q', '--bare', '-b', 'main', bare);
  git(base, 'init', '-q', '-b', 'main', work);
  for (let i = 0; i < files; i++) {
    const dir = join(work, `d${Math.floor(i / 1000)}`, `e${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`.repeat(20));
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'initial');
  git(work, 'push', '-q', bare, 'main');
  return { bare, work };
}

function commitOneFile(repo, n) {
  writeFileSync(join(repo.work, 'd0', 'e0', 'f0.txt'), `update ${n}\n`);
  git(repo.work, 'commit', '-q', '-am', `update ${n}`);
  git(repo.work, 'push', '-q', repo.bare, 'main');
  return git(repo.work, 'rev-parse', 'HEAD');
}

async function measure(base, repo, mode) {
  const root = join(base, `root-${mode}`);
  const argv = ['--repo', `file://${repo.bare}`, '--root', root, '--ref', 'main', '--period', '1h'];
  argv.push(`--recycle-worktrees=${mode === 'recycled'}`);
  const gs = createGitSync(toGitSyncOptions(parseOptions(options, { argv, env: {} }).values));
  const published = new Map();
  gs.on('publish', (e) => published.set(e.hash, { at: performance.now(), ...e }));
  await gs.start();
  await gs.syncNow('bench: initial');
  const samples = [];
  // Two warm-up updates: the first one has nothing to recycle yet.
  for (let n = 0; n < updates + 2; n++) {
    const hash = commitOneFile(repo, `${mode}-${n}`);
    const started = performance.now();
    await gs.syncNow('bench');
    const e = published.get(hash);
    if (!e) throw new Error(`update ${n} was not published`);
    if (n >= 2)
      samples.push({
        publishMs: e.at - started,
        worktreeMs: e.worktreeMs ?? null,
        recycled: e.recycled ?? null,
      });
  }
  await gs.stop();
  return {
    publishMs: median(samples.map((s) => s.publishMs)),
    worktreeMs: samples.every((s) => s.worktreeMs !== null) ? median(samples.map((s) => s.worktreeMs)) : null,
    recycledRuns: samples.filter((s) => s.recycled).length,
    samples,
  };
}

const results = [];
for (const place of places) {
  const tmpfs = statfsSync(place.dir).type === TMPFS_MAGIC;
  if (place.name === 'disk' && tmpfs)
    console.error(`warning: ${place.dir} is tmpfs; set TMPDIR to a disk path`);
  for (const files of sizes) {
    const base = mkdtempSync(join(place.dir, 'gitsync-bench-'));
    try {
      process.stderr.write(`${place.name}: ${files} files: making the repository… `);
      const repo = makeRepo(base, files);
      process.stderr.write('fresh… ');
      const fresh = await measure(base, repo, 'fresh');
      process.stderr.write('recycled…\n');
      const recycled = await measure(base, repo, 'recycled');
      results.push({
        place: place.name,
        tmpfs,
        files,
        updates,
        fresh,
        recycled,
        publishRatio: recycled.publishMs / fresh.publishMs,
        worktreeRatio:
          fresh.worktreeMs && recycled.worktreeMs !== null ? recycled.worktreeMs / fresh.worktreeMs : null,
      });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
}

const fmt = (ms) => (ms === null ? '-' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const pct = (r) => (r === null ? '-' : `${(r * 100).toFixed(1)} %`);
const rows = [
  [
    'place',
    'files',
    'fresh publish ms',
    'recycled publish ms',
    'ratio',
    'fresh checkout ms',
    'recycled ms',
    'ratio',
  ],
  ...results.map((r) => [
    r.place,
    String(r.files),
    fmt(r.fresh.publishMs),
    fmt(r.recycled.publishMs),
    pct(r.publishRatio),
    fmt(r.fresh.worktreeMs),
    fmt(r.recycled.worktreeMs),
    pct(r.worktreeRatio),
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i])).join('  '));
console.log(
  '(medians of %d updates; publish = syncNow until the link flipped; checkout = making the worktree)',
  updates,
);
const json = JSON.stringify({ node: process.version, git: git('.', '--version'), results }, null, 2);
if (args.json) writeFileSync(args.json, `${json}\n`);
console.log(json);
