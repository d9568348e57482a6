import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** Isolates test git from the machine's config (no user identity, hooks or credential helpers leak in). */
export const gitEnv: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_TERMINAL_PROMPT: '0',
};

/** Runs real git in `cwd`; returns trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa('git', args, { cwd, env: gitEnv });
  return stdout.trim();
}

/**
 * A bare repository (`<dir>/<name>`) plus a working clone used to make commits and push them.
 * Every method pushes, so the bare repo is what git-sync sees.
 */
export class TestRemote {
  private constructor(
    /** Path of the bare repository. */
    readonly bare: string,
    /** Path of the working clone. */
    readonly work: string,
  ) {}

  /** `file://` URL of the bare repository. */
  get url(): string {
    return `file://${this.bare}`;
  }

  /** Creates the bare repo with one commit on `main` (its HEAD). */
  static async create(dir: string, name = 'repo.git'): Promise<TestRemote> {
    const bare = join(dir, name);
    const work = join(dir, `${name}-work`);
    await mkdir(bare, { recursive: true });
    await git(bare, 'init', '--bare', '-q', '-b', 'main');
    // Allow fetching any commit by hash over every transport (git-sync supports sha refs).
    await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    await mkdir(work, { recursive: true });
    await git(work, 'init', '-q', '-b', 'main');
    await git(work, 'remote', 'add', 'origin', bare);
    const remote = new TestRemote(bare, work);
    await remote.commit({ 'README.md': '# test\n' }, 'initial');
    return remote;
  }

  /** Writes files (null deletes), commits on the current branch and pushes; returns the new hash. */
  async commit(files: Record<string, string | null>, message = 'change', branch = 'main'): Promise<string> {
    await this.checkout(branch);
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.work, path);
      if (content === null) {
        await git(this.work, 'rm', '-q', '--', path);
        continue;
      }
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
      await git(this.work, 'add', '--', path);
    }
    await git(this.work, 'commit', '-q', '--allow-empty', '-m', message);
    await git(this.work, 'push', '-q', '--force', 'origin', `HEAD:refs/heads/${branch}`);
    return this.hash(branch);
  }

  /** Switches the working clone to `branch`, creating it from the current commit when new. */
  async checkout(branch: string): Promise<void> {
    const current = await git(this.work, 'rev-parse', '--abbrev-ref', 'HEAD').catch(() => '');
    if (current === branch) return;
    const exists = await git(this.work, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`).catch(
      () => '',
    );
    await git(this.work, 'checkout', '-q', ...(exists ? [branch] : ['-b', branch]));
  }

  /** Rewrites history: resets `branch` to a new root commit with these files and force-pushes. */
  async forcePushNewHistory(files: Record<string, string>, branch = 'main'): Promise<string> {
    await this.checkout(branch);
    await git(this.work, 'checkout', '-q', '--orphan', `rewrite-${Date.now()}`);
    await git(this.work, 'rm', '-rfq', '--cached', '.');
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(this.work, path)), { recursive: true });
      await writeFile(join(this.work, path), content);
      await git(this.work, 'add', '--', path);
    }
    await git(this.work, 'commit', '-q', '-m', 'rewritten');
    await git(this.work, 'branch', '-f', branch, 'HEAD');
    await git(this.work, 'checkout', '-q', branch);
    await git(this.work, 'push', '-q', '--force', 'origin', `${branch}:refs/heads/${branch}`);
    return this.hash(branch);
  }

  /** Creates an annotated tag at the tip of `branch` and pushes it. */
  async tag(name: string, branch = 'main'): Promise<string> {
    await git(this.work, 'tag', '-f', '-a', '-m', name, name, branch);
    await git(this.work, 'push', '-q', '--force', 'origin', `refs/tags/${name}`);
    return git(this.work, 'rev-parse', `${name}^{commit}`);
  }

  /**
   * Makes `count` commits on top of `branch` in one `git fast-import` run (fast, for many-update
   * tests) without moving the branch; move it with `setBranch`. Returns the hashes in order.
   */
  async prepareCommits(
    count: number,
    filesFor: (i: number) => Record<string, string>,
    branch = 'main',
  ): Promise<string[]> {
    const parent = await this.hash(branch);
    const chunks: string[] = [];
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
    for (let i = 1; i <= count; i++) {
      chunks.push(
        `commit refs/prepared/chain\nmark :${i}\ncommitter test <test@example.com> ${1_700_000_000 + i} +0000\n`,
      );
      chunks.push(data(`prepared ${i}`));
      chunks.push(i === 1 ? `from ${parent}\n` : `from :${i - 1}\n`);
      for (const [path, content] of Object.entries(filesFor(i)))
        chunks.push(`M 100644 inline ${path}\n${data(content)}`);
      chunks.push('\n');
    }
    const marks = join(dirname(this.bare), `marks-${Date.now()}`);
    await execa('git', ['fast-import', '--quiet', `--export-marks=${marks}`], {
      cwd: this.bare,
      env: gitEnv,
      input: chunks.join(''),
    });
    const byMark = new Map(
      (await readFile(marks, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
    await git(this.bare, 'update-ref', '-d', 'refs/prepared/chain');
    return Array.from({ length: count }, (_, i) => byMark.get(`:${i + 1}`)!);
  }

  /** Points `branch` in the bare repository at `hash` (as a push would). */
  async setBranch(hash: string, branch = 'main'): Promise<void> {
    await git(this.bare, 'update-ref', `refs/heads/${branch}`, hash);
  }

  async deleteBranch(branch: string): Promise<void> {
    await git(this.bare, 'update-ref', '-d', `refs/heads/${branch}`);
  }

  /** The commit `ref` points at in the bare repository. */
  hash(ref = 'main'): Promise<string> {
    return git(this.bare, 'rev-parse', `${ref}^{commit}`);
  }
}
