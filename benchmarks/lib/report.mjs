// The table and the JSON line. Ratios are against "seed + nodemon" with the same app, from
// the same run: below 1 is better than the seed for every column.
const BASELINE = 'seed + nodemon';

/** value / base, with 0/0 = 1 and x/0 = Infinity (printed as such, not hidden). */
export function ratio(value, base) {
  if (value === null || base === null || value === undefined || base === undefined) return null;
  if (base === 0) return value === 0 ? 1 : Number.POSITIVE_INFINITY;
  return value / base;
}

const fmtMs = (v) => (v === null ? '—' : `${Math.round(v)} ms`);
const fmtRatio = (v) => (v === null ? '—' : v === Number.POSITIVE_INFINITY ? '∞' : `×${v.toFixed(2)}`);

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function printReport(results) {
  const measured = results.series.filter((s) => !s.error);
  const bigMeasured = results.bigChange.filter((b) => !b.error);
  for (const s of measured) {
    const base = measured.find((b) => b.tool === BASELINE && b.startDelayMs === s.startDelayMs);
    s.ratios = {
      p50: ratio(s.p50Ms, base?.p50Ms),
      p95: ratio(s.p95Ms, base?.p95Ms),
      failed: ratio(s.failed, base?.failed),
      longestGap: ratio(s.longestGapMs, base?.longestGapMs),
    };
  }
  const bigBase = bigMeasured.find((b) => b.tool === BASELINE);
  for (const b of bigMeasured) {
    b.ratios = { restarts: ratio(b.restarts, bigBase?.restarts), failed: ratio(b.failed, bigBase?.failed) };
  }

  console.log(
    `\nPush-to-live, period ${results.periodMs / 1000}s, ${results.pushesPerSeries} pushes per series, steady client ~100 req/s (ratios: vs ${BASELINE}, same app)`,
  );
  console.log(
    table(
      [
        'tool',
        'app listens',
        'live/pushed',
        'p50',
        'p95',
        'p50 ratio',
        'p95 ratio',
        'failed/requests',
        'failed ratio',
        'longest outage',
        'ratio',
        'app starts',
      ],
      measured.map((s) => [
        s.tool,
        `+${s.startDelayMs} ms`,
        `${s.live}/${s.pushes}${s.keptReloadingAfterFirstPush || s.pushes < 2 ? '' : ', none after #1'}${s.pushes < results.pushesPerSeries ? ' (gave up)' : ''}`,
        fmtMs(s.p50Ms),
        fmtMs(s.p95Ms),
        fmtRatio(s.ratios.p50),
        fmtRatio(s.ratios.p95),
        `${s.failed}/${s.requests}`,
        fmtRatio(s.ratios.failed),
        fmtMs(s.longestGapMs),
        fmtRatio(s.ratios.longestGap),
        s.appStarts,
      ]),
    ),
  );
  console.log(
    `\nOne push changing ${bigMeasured[0]?.files ?? 0} files (restarts: the watcher's "restarting" lines; gitpaas: replacements; ratios: vs ${BASELINE})`,
  );
  console.log(
    table(
      [
        'tool',
        'live after',
        'restarts',
        'ratio',
        'app starts',
        'serving new',
        'apps running',
        'zombies',
        'failed/requests',
        'ratio',
      ],
      bigMeasured.map((b) => [
        b.tool,
        b.liveMs === null ? `not within ${b.liveTimeoutMs / 1000} s` : fmtMs(b.liveMs),
        b.restarts,
        fmtRatio(b.ratios.restarts),
        b.appStarts,
        b.servingNewVersion ? 'yes' : 'NO',
        b.appProcessesRunning,
        b.zombies,
        `${b.failed}/${b.requests}`,
        fmtRatio(b.ratios.failed),
      ]),
    ),
  );
  for (const row of [...results.series, ...results.bigChange].filter((r) => r.error)) {
    console.log(
      `NOT MEASURED: ${row.tool}${row.startDelayMs === undefined ? '' : ` (+${row.startDelayMs} ms)`}: ${row.error}`,
    );
  }
  console.log(`\n(${results.durationS} s in all)`);
  console.log(JSON.stringify(results, (_, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v)));
}
