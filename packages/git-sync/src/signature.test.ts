import { createHmac } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redactor } from '@gitpaas/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../test/helpers/index.js';
import { SecretFile, signBody, verifySignature } from './signature.js';

const secret = Buffer.from('It’s a Secret to Everybody');
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hex = createHmac('sha256', secret).update(body).digest('hex');

afterEach(removeTempDirs);

describe('verifySignature', () => {
  it('accepts a GitHub X-Hub-Signature-256 made with the secret', () => {
    expect(verifySignature({ 'x-hub-signature-256': `sha256=${hex}` }, body, secret)).toEqual({
      ok: true,
      format: 'github',
    });
  });

  it('accepts the sample from GitHub’s webhook documentation', () => {
    // docs.github.com "Validating webhook deliveries": secret, payload and signature given there.
    const check = verifySignature(
      {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      },
      Buffer.from('Hello, World!'),
      Buffer.from('It\u0027s a Secret to Everybody'),
    );
    expect(check).toEqual({ ok: true, format: 'github' });
  });

  it('accepts Gitea/Forgejo X-Gitea-Signature (hex, no prefix) and the Gogs alias', () => {
    expect(verifySignature({ 'x-gitea-signature': hex }, body, secret)).toEqual({
      ok: true,
      format: 'gitea',
    });
    expect(verifySignature({ 'x-gogs-signature': hex.toUpperCase() }, body, secret).ok).toBe(true);
  });

  it('accepts a GitLab X-Gitlab-Token equal to the secret and refuses any other token', () => {
    expect(verifySignature({ 'x-gitlab-token': secret.toString() }, body, secret)).toEqual({
      ok: true,
      format: 'gitlab',
    });
    expect(verifySignature({ 'x-gitlab-token': 'guess' }, body, secret).ok).toBe(false);
    expect(verifySignature({ 'x-gitlab-token': `${secret.toString()}x` }, body, secret).ok).toBe(false);
  });

  it('accepts the secret as an Authorization bearer token, any body, and refuses another scheme', () => {
    const bearer = { authorization: `Bearer ${secret.toString()}` };
    expect(verifySignature(bearer, body, secret)).toEqual({ ok: true, format: 'bearer' });
    expect(verifySignature(bearer, Buffer.from('another body'), secret).ok).toBe(true);
    expect(verifySignature({ authorization: `Basic ${secret.toString()}` }, body, secret).ok).toBe(false);
    expect(verifySignature({ authorization: 'Bearer guess' }, body, secret).ok).toBe(false);
  });

  it('accepts the generic X-Gitpaas-Signature that signBody produces', () => {
    expect(verifySignature({ 'x-gitpaas-signature': signBody(body, secret) }, body, secret)).toEqual({
      ok: true,
      format: 'gitpaas',
    });
  });

  it('refuses a signature over another body, another secret, a malformed value or none', () => {
    const other = Buffer.from('{"ref":"refs/heads/evil"}');
    expect(verifySignature({ 'x-hub-signature-256': `sha256=${hex}` }, other, secret).ok).toBe(false);
    expect(verifySignature({ 'x-hub-signature-256': signBody(body, 'wrong') }, body, secret).ok).toBe(false);
    expect(verifySignature({ 'x-hub-signature-256': hex }, body, secret).ok).toBe(false);
    expect(verifySignature({ 'x-gitea-signature': hex.slice(2) }, body, secret).ok).toBe(false);
    expect(verifySignature({ 'x-gitpaas-signature': 'sha256=' }, body, secret).ok).toBe(false);
    const none = verifySignature({}, body, secret);
    expect(none).toMatchObject({ ok: false, reason: expect.stringContaining('no signature header') });
  });

  it('never puts the secret or the expected signature into its reason', () => {
    const check = verifySignature({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, body, secret);
    expect(check.ok).toBe(false);
    const reason = check.ok ? '' : check.reason;
    expect(reason).not.toContain(hex);
    expect(reason).not.toContain(secret.toString());
  });
});

describe('SecretFile', () => {
  it('drops trailing line breaks and reads the file again after it changes', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'secret');
    await writeFile(path, 'first\n');
    const file = new SecretFile(path);
    expect((await file.read()).toString()).toBe('first');
    // Rotation the Kubernetes way: a new file renamed over the old one.
    await writeFile(join(dir, 'next'), 'second-secret\r\n');
    await rename(join(dir, 'next'), path);
    expect((await file.read()).toString()).toBe('second-secret');
  });

  it('teaches the redactor each secret it reads, the rotated one too', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'secret');
    await writeFile(path, 'first-secret\n');
    const redactor = new Redactor();
    const file = new SecretFile(path, redactor);
    await file.read();
    await writeFile(join(dir, 'next'), 'second-secret\n');
    await rename(join(dir, 'next'), path);
    await file.read();
    expect(redactor.redact('app printed first-secret and second-secret')).toBe(
      'app printed REDACTED and REDACTED',
    );
  });

  it('rejects an empty or missing file with a message naming it', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'secret');
    await writeFile(path, '\n');
    await expect(new SecretFile(path).read()).rejects.toThrow(/is empty/);
    await expect(new SecretFile(join(dir, 'missing')).read()).rejects.toMatchObject({
      code: 'E_TRIGGER_SECRET',
      message: expect.stringContaining('ENOENT'),
    });
  });
});
