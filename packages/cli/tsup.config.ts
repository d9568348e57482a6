import { cp } from 'node:fs/promises';
import { packageBuildConfig } from '../../tsup.shared.js';
import { REFERENCE_FILES } from './src/reference-files.js';

export default packageBuildConfig({
  async onSuccess() {
    // The demo's example app ships inside the package, so `gitpaas demo` works from npm too.
    await cp('../../examples/hello', 'dist/examples/hello', { recursive: true });
    // `gitpaas init` makes its files from the reference deployment, the one place it is written.
    for (const source of Object.values(REFERENCE_FILES)) {
      await cp(`../../deploy/${source}`, `dist/deploy/${source}`);
    }
  },
});
