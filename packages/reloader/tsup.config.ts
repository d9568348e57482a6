import { packageBuildConfig } from '../../tsup.shared.js';

// app-hook.js is loaded into the app's own process with --socket-handoff.
export default packageBuildConfig({ entry: ['src/index.ts', 'src/cli.ts', 'src/app-hook.ts'] });
