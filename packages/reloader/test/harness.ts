import { join } from 'node:path';
import { freePort, makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { createReloader, type Release, type Reloader, type ReloaderOptions } from '../src/index.js';
import { APP, Layout, NODE } from './helpers.js';

/**
 * A reloader running the test app on a hand-made git-sync layout in a temp dir, with its switches
 * and releases recorded; the app writes its pids (and its grandchild's) to `pidFile`. Call
 * `cleanUp()` in afterEach.
 */
export class ReloaderHarness {
  reloader: Reloader | undefined;

  constructor(private readonly defaults: Partial<ReloaderOptions>) {}

  async setUp(extra: Partial<ReloaderOptions> = {}) {
    const root = await makeTempDir('reloader-test-');
    const layout = new Layout(root);
    const port = await freePort();
    const pidFile = join(root, 'pids');
    const releases: Release[] = [];
    const switches: Release[] = [];
    const reloader = createReloader({
      command: [NODE, APP],
      watch: layout.link,
      port,
      host: '127.0.0.1',
      stopTimeout: 5000,
      env: { ...process.env, TEST_PID_FILE: pidFile },
      ...this.defaults,
      ...extra,
    });
    this.reloader = reloader;
    reloader.on('release', (release) => releases.push({ ...release, times: { ...release.times } }));
    reloader.on('switch', (release) => switches.push({ ...release }));
    const liveOn = (sha: string) =>
      waitFor(() => switches.some((release) => release.revision === sha), {
        message: `${sha.slice(0, 7)} live`,
      });
    const endedAs = (sha: string, outcome: Release['outcome']) =>
      waitFor(() => releases.find((release) => release.revision === sha && release.outcome === outcome), {
        message: `${sha.slice(0, 7)} ${outcome}`,
        timeout: 90_000,
      });
    return { root, layout, port, pidFile, reloader, releases, switches, liveOn, endedAs };
  }

  async cleanUp(): Promise<void> {
    await this.reloader?.stop();
    this.reloader = undefined;
    await removeTempDirs();
  }
}
