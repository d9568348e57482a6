import { defineConfig, type Options } from 'tsup';

// One build for every package: ESM for Node 20, types for the public door, a bin in src/cli.ts.
export function packageBuildConfig(extra: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts', 'src/cli.ts'],
    format: ['esm'],
    dts: { entry: 'src/index.ts' },
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...extra,
  });
}
