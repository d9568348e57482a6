// Adds up the vitest JSON reports and the container tier's counts, then prints
// the closing line. A step that failed without reporting a failed test of its
// own (lint, typecheck, an install, a crashed runner) counts as one failure. CI
// installs every tool a test needs, so there a skipped test counts as failed too.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir] = process.argv.slice(2);
/** The fault tier's report (`pnpm test:faults`, vitest's JSON named for @gitpaas/faults). */
const FAULTS_REPORT = '_gitpaas_faults.json';
let passed = 0;
let failed = 0;
let failedInTests = 0;
let failedInE2e = 0;
let failedInFaults = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const ok = report.numPassedTests ?? report.passed ?? 0;
  const bad = (report.numFailedTests ?? report.failed ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  const skipped = skippedTests(report);
  for (const name of skipped) console.log(`  skipped in CI (counted as failed): ${name}`);
  passed += ok;
  failed += bad + skipped.length;
  if (file === 'e2e.json') failedInE2e += bad;
  else if (file === FAULTS_REPORT) failedInFaults += bad + skipped.length;
  else failedInTests += bad + skipped.length;
  console.log(`  ${file}: ${ok} passed, ${bad} failed`);
}
const stepsFile = join(dir, 'failed-steps.txt');
const failedSteps = existsSync(stepsFile) ? readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean) : [];
for (const step of failedSteps) {
  const covered =
    (step === 'tests' && failedInTests > 0) ||
    (step === 'container tier' && failedInE2e > 0) ||
    (step === 'fault tier' && failedInFaults > 0);
  if (!covered) failed += 1;
  console.log(`  step failed: ${step}${covered ? ' (counted by its tests)' : ''}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

/** The full names of the tests a vitest JSON report marks skipped, pending or todo. */
function skippedTests(report) {
  const names = [];
  for (const suite of report.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      if (['skipped', 'pending', 'todo', 'disabled'].includes(test.status)) {
        names.push(
          `${suite.name.replace(/^.*\/(packages|deploy|benchmarks|faults)\//, '$1/')}: ${test.fullName ?? test.title}`,
        );
      }
    }
  }
  return names;
}
