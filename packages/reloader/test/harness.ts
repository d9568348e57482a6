import { createReloader, type Release, type Reloader, type ReloaderOptions } from '../src/index.js';
import { freePort } from '../src/port.js';
import { APP, Layout, NODE, removeDir, tempDir, waitFor } from './helpers.js';

/**
 * A reloader running the test app on a hand-made git-sync layout in a temp dir, with its switches
 * and releases recorded. Call `cleanUp()` in afterEach.
 */
export class ReloaderHarness {
  root: string | undefined;
  reloader: Reloader | undefined;

  constructor(private readonly defaults: Partial<ReloaderOptions>) {}

  async setUp(extra: Partial<ReloaderOptions> = {}) {
    this.root = await tempDir();
    const layout = new Layout(this.root);
    const port = await freePort();
    const releases: Release[] = [];
    const switches: Release[] = [];
    const reloader = createReloader({
      command: [NODE, APP],
      watch: layout.link,
      port,
      host: '127.0.0.1',
      stopTimeout: 5000,
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
    return { layout, port, reloader, releases, switches, liveOn, endedAs };
  }

  async cleanUp(): Promise<void> {
    await this.reloader?.stop();
    this.reloader = undefined;
    await removeDir(this.root);
    this.root = undefined;
  }
}
