import { packageBuildConfig } from '../../tsup.shared.js';

// docs-cli is the maintainers' README generator, run by path (`pnpm run docs`); it is not a bin.
export default packageBuildConfig({
  entry: { index: 'src/index.ts', 'docs-cli': 'src/options/docs-cli.ts' },
  dts: { entry: { index: 'src/index.ts' } },
});
