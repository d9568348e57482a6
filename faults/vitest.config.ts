import { mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared.js';

// Cases run the bins as processes for up to a few minutes each; two files at a time (two cores).
export default mergeConfig(packageTestConfig('@gitpaas/faults', { testTimeout: 240_000 }), {
  test: { globalSetup: ['./src/global-setup.ts'], hookTimeout: 120_000, maxConcurrency: 4 },
});
