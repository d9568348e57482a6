import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listen, makeTempDir, removeTempDirs, type TestServer } from '../test/helpers/index.js';
import { SecretFile, signBody } from './signature.js';
import { createTrigger, isLoopback, refMatches, type Trigger, type TriggerOptions } from './trigger.js';

const SECRET = 'hook-secret-4c1e';
const BEFORE = 'a10867b14bb761a232cd80139fbd4c0d33264240';
const AFTER = '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c';

/** Trimmed versions of the documented push payloads; the fields the trigger reads are real. */
function githubPush(ref: string) {
  return {
    ref,
    before: BEFORE,
    after: AFTER,
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.com/octo/app/compare/${BEFORE.slice(0, 12)}...${AFTER.slice(0, 12)}`,
    commits: [{ id: AFTER, message: 'Update README.md', added: [], removed: [], modified: ['README.md'] }],
    head_commit: { id: AFTER, message: 'Update README.md' },
    repository: {
      id: 1296269,
      name: 'app',
      full_name: 'octo/app',
      default_branch: 'main',
      master_branch: 'main',
    },
    pusher: { name: 'octo', email: 'octo@example.com' },
    sender: { login: 'octo', id: 1 },
  };
}

function giteaPush(ref: string) {
  return {
    ref,
    before: BEFORE,
    after: AFTER,
    compare_url: `https://gitea.example.com/octo/app/compare/${BEFORE}...${AFTER}`,
    commits: [
      { id: AFTER, message: 'Update README.md\n', url: 'https://gitea.example.com/octo/app/commit/x' },
    ],
    total_commits: 1,
    repository: { id: 7, name: 'app', full_name: 'octo/app', default_branch: 'main', private: true },
    pusher: { id: 1, login: 'octo' },
    sender: { id: 1, login: 'octo' },
  };
}

function gitlabPush(ref: string, kind: 'push' | 'tag_push' = 'push') {
  return {
    object_kind: kind,
    event_name: kind,
    before: BEFORE,
    after: AFTER,
    ref,
    ref_protected: true,
    checkout_sha: AFTER,
    user_username: 'octo',
    project_id: 15,
    project: { id: 15, name: 'app', path_with_namespace: 'octo/app', default_branch: 'main' },
    repository: { name: 'app', homepage: 'https://gitlab.example.com/octo/app' },
    commits: [{ id: AFTER, message: 'Update README.md' }],
    total_commits_count: 1,
  };
}

function githubHeaders(body: string, event = 'push', secret = SECRET) {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/5f3e0a1',
    'x-github-event': event,
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-github-hook-id': '292430182',
    'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
    'x-hub-signature-256': signBody(body, secret),
  };
}

function giteaHeaders(body: string, secret = SECRET) {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  return {
    'content-type': 'application/json',
    'x-gitea-event': 'push',
    'x-gitea-event-type': 'push',
    'x-gitea-delivery': 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
    'x-gitea-signature': hex,
    'x-gogs-event': 'push',
    'x-gogs-signature': hex,
  };
}

function gitlabHeaders(token = SECRET, event = 'Push Hook') {
  return {
    'content-type': 'application/json',
    'x-gitlab-event': event,
    'x-gitlab-token': token,
    'x-gitlab-instance': 'https://gitlab.example.com',
    'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
  };
}

describe('POST /sync', () => {
  let server: TestServer;
  let syncs: string[];
  let registry: Registry;
  let trigger: Trigger;

  async function start(options: Partial<TriggerOptions> = {}) {
    syncs = [];
    registry = new Registry();
    trigger = createTrigger({
      ref: 'main',
      registry,
      syncNow: async (reason) => {
        syncs.push(reason);
      },
      ...options,
    });
    server = await listen((req, res) => {
      if (req.url === '/sync') trigger.handle(req, res);
      else res.writeHead(404).end();
    });
  }

  async function withSecret(ref = 'main') {
    const dir = await makeTempDir();
    const secretFile = join(dir, 'trigger-secret');
    await writeFile(secretFile, `${SECRET}\n`);
    await start({ ref, secret: new SecretFile(secretFile) });
    return secretFile;
  }

  const post = async (body: string, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/sync`, { method: 'POST', body, headers });
    return { status: response.status, json: (await response.json()) as { outcome: string; detail?: string } };
  };

  const outcomes = async () => {
    const metric = await registry.getSingleMetric('gitpaas_trigger_requests_total')!.get();
    return Object.fromEntries(metric.values.map((v) => [v.labels.outcome, v.value]));
  };

  beforeEach(() => {
    syncs = [];
  });
  afterEach(async () => {
    await server?.close();
    await removeTempDirs();
  });

  it('syncs on a GitHub push to the configured branch signed with the secret', async () => {
    await withSecret();
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const { status, json } = await post(body, githubHeaders(body));
    expect(status).toBe(202);
    expect(json.outcome).toBe('accepted');
    expect(syncs).toEqual(['trigger: push to refs/heads/main']);
    expect(await outcomes()).toEqual({ accepted: 1 });
  });

  it('answers 401 and does not sync when the GitHub signature is wrong, made with another secret, or missing', async () => {
    await withSecret();
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const forged = githubHeaders(body, 'push', 'not-the-secret');
    expect((await post(body, forged)).status).toBe(401);
    const tampered = githubHeaders(body);
    expect((await post(body.replace('main', 'mainx'), tampered)).status).toBe(401);
    const { 'x-hub-signature-256': _, 'x-hub-signature': __, ...unsigned } = githubHeaders(body);
    const missing = await post(body, unsigned);
    expect(missing.status).toBe(401);
    expect(missing.json.detail).toMatch(/no signature header/);
    expect(syncs).toEqual([]);
    expect(await outcomes()).toEqual({ unauthorized: 3 });
  });

  it('answers the GitHub ping event with 200 and no sync', async () => {
    await withSecret();
    const body = JSON.stringify({
      zen: 'Keep it logically awesome.',
      hook_id: 1,
      repository: { default_branch: 'main' },
    });
    const { status, json } = await post(body, githubHeaders(body, 'ping'));
    expect([status, json.outcome]).toEqual([200, 'ping']);
    expect(syncs).toEqual([]);
  });

  it('accepts GitHub’s form-encoded payloads', async () => {
    await withSecret();
    const form = new URLSearchParams({ payload: JSON.stringify(githubPush('refs/heads/other')) }).toString();
    const headers = { ...githubHeaders(form), 'content-type': 'application/x-www-form-urlencoded' };
    const { status, json } = await post(form, headers);
    expect([status, json.outcome]).toEqual([202, 'ignored']);
    expect(syncs).toEqual([]);
  });

  it('acknowledges a push to another branch with 202 and does not sync', async () => {
    await withSecret();
    const body = JSON.stringify(githubPush('refs/heads/feature'));
    const { status, json } = await post(body, githubHeaders(body));
    expect([status, json.outcome]).toEqual([202, 'ignored']);
    expect(json.detail).toBe('push to refs/heads/feature, not main');
    expect(syncs).toEqual([]);
    expect(await outcomes()).toEqual({ ignored: 1 });
  });

  it('ignores events that are not pushes', async () => {
    await withSecret();
    const body = JSON.stringify({ action: 'opened', number: 2 });
    const { status, json } = await post(body, githubHeaders(body, 'pull_request'));
    expect([status, json.outcome]).toEqual([202, 'ignored']);
    expect(syncs).toEqual([]);
  });

  it('verifies Gitea/Forgejo pushes by X-Gitea-Signature', async () => {
    await withSecret();
    const body = JSON.stringify(giteaPush('refs/heads/main'));
    expect((await post(body, giteaHeaders(body))).status).toBe(202);
    expect((await post(body, giteaHeaders(body, 'wrong'))).status).toBe(401);
    const other = JSON.stringify(giteaPush('refs/heads/dev'));
    expect((await post(other, giteaHeaders(other))).json.outcome).toBe('ignored');
    expect(syncs).toHaveLength(1);
  });

  it('verifies GitLab pushes by X-Gitlab-Token, and follows tags when the ref is a tag', async () => {
    await withSecret('v1.2.0');
    const branch = JSON.stringify(gitlabPush('refs/heads/main'));
    expect((await post(branch, gitlabHeaders())).json.outcome).toBe('ignored');
    const tag = JSON.stringify(gitlabPush('refs/tags/v1.2.0', 'tag_push'));
    expect((await post(tag, gitlabHeaders('wrong-token', 'Tag Push Hook'))).status).toBe(401);
    const accepted = await post(tag, gitlabHeaders(SECRET, 'Tag Push Hook'));
    expect([accepted.status, accepted.json.outcome]).toEqual([202, 'accepted']);
    expect(syncs).toEqual(['trigger: push to refs/tags/v1.2.0']);
  });

  it('follows the default branch named in the payload when the ref is HEAD', async () => {
    await withSecret('HEAD');
    const main = JSON.stringify(gitlabPush('refs/heads/main'));
    expect((await post(main, gitlabHeaders())).json.outcome).toBe('accepted');
    const other = JSON.stringify(gitlabPush('refs/heads/topic'));
    expect((await post(other, gitlabHeaders())).json.outcome).toBe('ignored');
    expect(syncs).toHaveLength(1);
  });

  it('accepts the generic X-Gitpaas-Signature over any body, even an empty one', async () => {
    await withSecret();
    expect((await post('', { 'x-gitpaas-signature': signBody('', SECRET) })).json.outcome).toBe('accepted');
    expect((await post('deploy please', { 'x-gitpaas-signature': signBody('deploy', SECRET) })).status).toBe(
      401,
    );
    expect(syncs).toEqual(['trigger']);
  });

  it('uses a rotated secret as soon as the file changes', async () => {
    const secretFile = await withSecret();
    await writeFile(secretFile, 'rotated-secret');
    const body = JSON.stringify(githubPush('refs/heads/main'));
    expect((await post(body, githubHeaders(body))).status).toBe(401);
    expect((await post(body, githubHeaders(body, 'push', 'rotated-secret'))).status).toBe(202);
  });

  it('answers 503 without syncing when the secret file is emptied', async () => {
    const secretFile = await withSecret();
    await writeFile(secretFile, '');
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const { status, json } = await post(body, githubHeaders(body));
    expect([status, json.outcome]).toEqual([503, 'error']);
    expect(JSON.stringify(json)).not.toContain(SECRET);
    expect(syncs).toEqual([]);
  });

  it('refuses a body over 1 MiB with 413, declared or streamed', async () => {
    await withSecret();
    const big = 'x'.repeat(1024 * 1024 + 1);
    const declared = await post(big, { 'x-gitpaas-signature': signBody(big, SECRET) });
    expect([declared.status, declared.json.outcome]).toEqual([413, 'too_large']);

    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/sync`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 17; i++) req.write(Buffer.alloc(64 * 1024, 0x61));
      req.end();
    });
    expect(streamed).toBe(413);
    expect(syncs).toEqual([]);
    expect(await outcomes()).toEqual({ too_large: 2 });
  });

  it('without a secret, accepts loopback callers unsigned', async () => {
    await start();
    const { status, json } = await post('', {});
    expect([status, json.outcome]).toEqual([202, 'accepted']);
    expect(syncs).toEqual(['trigger']);
  });

  it('without a secret, refuses callers that are not on loopback with 403', async () => {
    await start();
    // A unix-socket caller has no loopback address: the closest a test gets to a remote one.
    const dir = await makeTempDir();
    const socketPath = join(dir, 'http.sock');
    const local = createServer((req, res) => trigger.handle(req, res));
    await new Promise<void>((resolve) => local.listen(socketPath, resolve));
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ socketPath, path: '/sync', method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
      expect(syncs).toEqual([]);
      expect(await outcomes()).toEqual({ forbidden: 1 });
    } finally {
      await new Promise((resolve) => local.close(resolve));
    }
  });

  it('answers 405 to other methods', async () => {
    await start();
    const response = await fetch(`${server.url}/sync`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(syncs).toEqual([]);
  });
});

describe('refMatches', () => {
  it('matches branches and tags by short or full name', () => {
    expect(refMatches('main', 'refs/heads/main')).toBe(true);
    expect(refMatches('main', 'refs/heads/maint')).toBe(false);
    expect(refMatches('v1', 'refs/tags/v1')).toBe(true);
    expect(refMatches('refs/heads/main', 'refs/heads/main')).toBe(true);
    expect(refMatches('refs/heads/main', 'refs/tags/main')).toBe(false);
  });

  it('treats HEAD as the default branch when known, and a hash as always worth a sync', () => {
    expect(refMatches('HEAD', 'refs/heads/main', 'main')).toBe(true);
    expect(refMatches('HEAD', 'refs/heads/x', 'main')).toBe(false);
    expect(refMatches('HEAD', 'refs/heads/x')).toBe(true);
    expect(refMatches(AFTER, 'refs/heads/x')).toBe(true);
  });
});

describe('isLoopback', () => {
  it('knows IPv4, IPv6 and mapped loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.2', 'fe80::1', undefined]) {
      expect(isLoopback(a)).toBe(false);
    }
  });
});
