// Adds up the vitest JSON reports and the container tier's counts, then prints
// the closing line. A step that failed without reporting a failed test of its
// own (lint, typecheck, an install, a crashed runner) counts as one failure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let failedInTests = 0;
let failedInE2e = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const ok = report.numPassedTests ?? report.passed ?? 0;
  const bad = (report.numFailedTests ?? report.failed ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  passed += ok;
  failed += bad;
  if (file === 'e2e.json') failedInE2e += bad;
  else failedInTests += bad;
  console.log(`  ${file}: ${ok} passed, ${bad} failed`);
}
const stepsFile = join(dir, 'failed-steps.txt');
const failedSteps = existsSync(stepsFile) ? readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean) : [];
for (const step of failedSteps) {
  const covered = (step === 'tests' && failedInTests > 0) || (step === 'container tier' && failedInE2e > 0);
  if (!covered) failed += 1;
  console.log(`  step failed: ${step}${covered ? ' (counted by its tests)' : ''}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
