import { cp } from 'node:fs/promises';
import { packageBuildConfig } from '../../tsup.shared.js';

export default packageBuildConfig({
  // The demo's example app ships inside the package, so `gitpaas demo` works from npm too.
  async onSuccess() {
    await cp('../../examples/hello', 'dist/examples/hello', { recursive: true });
  },
});
