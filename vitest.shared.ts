import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One config for every package. When GITPAAS_REPORT_DIR is set (CI), each
// package also writes a JSON report there so .ci/run can add up the counts.
export function packageTestConfig(packageName: string, overrides: { testTimeout?: number } = {}) {
  const reportDir = process.env.GITPAAS_REPORT_DIR;
  return defineConfig({
    test: {
      name: packageName,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      maxWorkers: 2,
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 60_000,
      reporters: reportDir
        ? ['default', ['json', { outputFile: join(reportDir, `${packageName.replace(/\W+/g, '_')}.json`) }]]
        : ['default'],
    },
  });
}
