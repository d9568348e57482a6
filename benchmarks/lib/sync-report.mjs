// The tables of git-sync.mjs: medians of the run, each beside its ratio against the reference
// measured in the same run (the raw git floor, kubernetes/git-sync, a bare ls-remote).

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`);
const x = (a, b) =>
  a === null || b === null || a === undefined || b === undefined || b === 0 ? '—' : `×${(a / b).toFixed(2)}`;

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
}

/** Adds the medians and ratios to `json.summary` and prints the three tables. */
export function syncReport(json) {
  const peer = json.peer !== null;
  const before = Boolean(json.before);
  json.summary = json.results.map((r) => {
    const once = (tool, key) => median(r.once[tool]?.map((o) => o[key]) ?? []);
    const steady = (tool, key = 'flipMs') => median(r.updates.steady[tool]?.map((u) => u[key]) ?? []);
    return {
      place: r.place,
      files: r.files,
      oneTime: Object.fromEntries(
        Object.keys(r.once).map((tool) => [
          tool,
          {
            totalMs: once(tool, 'totalMs'),
            firstGitMs: once(tool, 'firstGitMs'),
            gitMs: once(tool, 'gitMs'),
            gits: once(tool, 'gits'),
            commands: r.once[tool][0]?.commands,
          },
        ]),
      ),
      flip: Object.fromEntries(
        Object.keys(r.updates.steady).map((tool) => [
          tool,
          {
            steadyMs: steady(tool),
            gits: steady(tool, 'gits'),
            commands: r.updates.steady[tool][0]?.commands,
            afterStartMs: r.updates.afterStart[tool].flipMs,
            afterRestartMs: r.updates.afterRestart[tool].flipMs,
          },
        ]),
      ),
      idle: r.idle,
    };
  });
  const s = json.summary;
  const outside = (o) => (o.totalMs === null ? null : o.totalMs - o.gitMs);
  table(
    `First sync (--one-time, empty root), median of ${json.rounds}; floor = git clone --depth 1; node = node -e 0`,
    [
      'place',
      'files',
      'tool',
      'start → exit',
      '× peer',
      '× floor',
      ...(before ? ['× before'] : []),
      'start → 1st git',
      'git procs',
      'in git',
      'outside git',
    ],
    s.flatMap((r) =>
      Object.entries(r.oneTime).map(([tool, o]) => [
        r.place,
        r.files,
        tool,
        ms(o.totalMs),
        peer ? x(o.totalMs, r.oneTime.peer.totalMs) : '—',
        x(o.totalMs, r.oneTime.floor.totalMs),
        ...(before ? [x(o.totalMs, r.oneTime.before.totalMs)] : []),
        ms(o.firstGitMs),
        o.gits ?? '—',
        ms(o.gitMs),
        ms(outside(o)),
      ]),
    ),
  );
  table(
    `Commit → link flip of a 1-file change (SIGHUP after the push), steady: median of ${json.updates}; floor = fetch --depth 1 + reset --hard`,
    [
      'place',
      'files',
      'tool',
      'steady',
      '× floor',
      '× peer',
      ...(before ? ['× before'] : []),
      'git procs',
      '1st after start',
      '× floor',
      ...(before ? ['× before'] : []),
      '1st after restart',
      '× floor',
      ...(before ? ['× before'] : []),
    ],
    s.flatMap((r) =>
      Object.entries(r.flip).map(([tool, f]) => [
        r.place,
        r.files,
        tool,
        ms(f.steadyMs),
        x(f.steadyMs, r.flip.floor.steadyMs),
        peer ? x(f.steadyMs, r.flip.peer.steadyMs) : '—',
        ...(before ? [x(f.steadyMs, r.flip.before.steadyMs)] : []),
        f.gits ?? '—',
        ms(f.afterStartMs),
        x(f.afterStartMs, r.flip.floor.afterStartMs),
        ...(before ? [x(f.afterStartMs, r.flip.before.afterStartMs)] : []),
        ms(f.afterRestartMs),
        x(f.afterRestartMs, r.flip.floor.afterRestartMs),
        ...(before ? [x(f.afterRestartMs, r.flip.before.afterRestartMs)] : []),
      ]),
    ),
  );
  table(
    `Idle, polling every 1 s for ${json.idleSeconds} s: CPU per poll (the tool and its git) and resident memory`,
    ['place', 'files', 'tool', 'polls', 'CPU/poll', '× ls-remote', 'RSS', ...(before ? ['× before'] : [])],
    s.flatMap((r) => [
      ...Object.entries(r.idle)
        .filter(([tool]) => tool !== 'lsRemote')
        .map(([tool, i]) => [
          r.place,
          r.files,
          tool,
          i.polls,
          ms(i.cpuPerPollMs),
          x(i.cpuPerPollMs, r.idle.lsRemote.cpuPerPollMs),
          `${i.rssMb.toFixed(1)} MB`,
          ...(before ? [x(i.rssMb, r.idle.before.rssMb)] : []),
        ]),
      [
        r.place,
        r.files,
        'bare ls-remote',
        '—',
        ms(r.idle.lsRemote.cpuPerPollMs),
        '×1.00',
        '—',
        ...(before ? ['—'] : []),
      ],
    ]),
  );
  console.log(`\n(${json.seconds} s in all; ${json.git}; node ${json.node})`);
}
