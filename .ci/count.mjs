// Adds up the vitest JSON reports and the e2e tier's counts, then prints the
// closing line. A step that failed without reporting a failed test counts once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, failedSteps = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let failedInReports = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? report.passed ?? 0;
  const bad = (report.numFailedTests ?? report.failed ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  failed += bad;
  failedInReports += bad;
  console.log(`  ${file}: ${report.numPassedTests ?? report.passed ?? 0} passed, ${bad} failed`);
}
// steps that failed (lint, typecheck, a crash) but reported no failed test still fail the run
const steps = Number(failedSteps);
if (steps > 0 && failedInReports === 0) failed += steps;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
