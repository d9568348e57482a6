import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The demo's example app ships inside the package, so `gitpaas demo` works from npm too.
  async onSuccess() {
    await cp('../../examples/hello', 'dist/examples/hello', { recursive: true });
  },
});
