import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, makeSync, started, syncFixture } from '../test/helpers/index.js';
import { signBody } from './signature.js';

afterEach(cleanUpSyncs);

const SECRET = 'rollback-secret-9f2';

async function setup(secret = false) {
  const { dir, remote, root } = await syncFixture();
  const triggerSecretFile = secret ? join(dir, 'secret') : undefined;
  if (triggerSecretFile) await writeFile(triggerSecretFile, `${SECRET}\n`);
  const gitSync = await started(
    makeSync({ repo: remote.url, root, keepRevisions: 2, httpBind: '127.0.0.1:0', triggerSecretFile }),
  );
  const first = gitSync.status().publishedHash!;
  await remote.commit({ 'v.txt': '2\n' }, 'v2');
  await gitSync.syncNow('test');
  const url = `http://127.0.0.1:${gitSync.httpAddress()!.port}/rollback`;
  return { gitSync, first, url };
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /rollback and DELETE /rollback', () => {
  it('rolls back for a caller on this host and clears the pin', async () => {
    const { gitSync, first, url } = await setup();
    const answer = await post(url, JSON.stringify({ revision: first.slice(0, 10) }));
    expect(answer).toMatchObject({ status: 200, body: { outcome: 'rolled-back', hash: first } });
    expect(gitSync.status()).toMatchObject({ publishedHash: first, pinned: { hash: first } });
    const cleared = await fetch(url, { method: 'DELETE' });
    expect(cleared.status).toBe(202);
    expect(await cleared.json()).toEqual({ outcome: 'cleared' });
    expect(gitSync.status().pinned).toBeNull();
  });

  it('refuses a caller a proxy on this host forwarded from elsewhere', async () => {
    const { gitSync, first, url } = await setup();
    const answer = await post(url, '', { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' });
    expect(answer.status).toBe(403);
    const forwarded = await post(url, '', { forwarded: 'for="[2001:db8::17]:4711";proto=http' });
    expect(forwarded.status).toBe(403);
    expect(gitSync.status().publishedHash).not.toBe(first);
  });

  it('with a trigger secret, wants the secret as a bearer token or a signature of the body', async () => {
    const { first, url } = await setup(true);
    expect((await post(url, '')).status).toBe(401);
    expect((await post(url, '', { authorization: 'Bearer wrong-secret' })).status).toBe(401);
    const body = JSON.stringify({ revision: first });
    expect(await post(url, body, { 'x-gitpaas-signature': signBody(body, SECRET) })).toMatchObject({
      status: 200,
      body: { hash: first },
    });
    const cleared = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${SECRET}` } });
    expect(cleared.status).toBe(202);
  });

  it('answers 400 for a body that names no revision and 404 for a revision it cannot have', async () => {
    const { url } = await setup();
    expect((await post(url, '{"revision": "not a hash"}')).status).toBe(400);
    expect((await post(url, 'nonsense')).status).toBe(400);
    const unknown = await post(url, JSON.stringify({ revision: 'abcdef12' }));
    expect(unknown).toMatchObject({ status: 404, body: { code: 'E_ROLLBACK' } });
  });
});
