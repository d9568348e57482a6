// @ts-check
// Offline validation of rendered Kubernetes manifests against the API schemas shipped in
// kubernetes-models, plus what that validator alone misses: unknown fields (a typo such as
// `volumeMountz` would be silently dropped by a cluster's client-side defaulting) and
// containers that could run as root.
// CLI: kubectl kustomize DIR | node validate-k8s.mjs   (prints one line per object, exits 1 on a failure)
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

/**
 * @typedef {{ kind: string, name: string, errors: string[] }} ObjectResult
 * @typedef {{ reads: Map<string, Set<string>>, maps: Set<string> }} ReadLog
 */

/**
 * Wraps `value` so that every property the schema validator reads is logged per path. A compiled
 * schema reads each property it knows, present or not, and enumerates the keys of free-form
 * maps (labels, resources.limits…), so "keys present but never read" are the unknown fields.
 * @param {unknown} value
 * @param {string} path
 * @param {ReadLog} log
 * @returns {unknown}
 */
function track(value, path, log) {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(/** @type {object} */ (value), {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return child;
      const seen = log.reads.get(path) ?? new Set();
      log.reads.set(path, seen.add(key));
      return track(child, `${path}/${key}`, log);
    },
    ownKeys(target) {
      if (!Array.isArray(target)) log.maps.add(path);
      return Reflect.ownKeys(target);
    },
  });
}

/**
 * @param {unknown} value
 * @param {string} path
 * @param {ReadLog} log
 * @param {string[]} out
 */
function collectUnknown(value, path, log, out) {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) collectUnknown(item, `${path}/${i}`, log, out);
    return;
  }
  if (log.maps.has(path)) return;
  const seen = log.reads.get(path) ?? new Set();
  for (const [key, child] of Object.entries(value)) {
    if (!seen.has(key)) out.push(`${path}/${key}: unknown field "${key}"`);
    else collectUnknown(child, `${path}/${key}`, log, out);
  }
}

/**
 * @param {Record<string, any>} obj
 * @returns {Array<{ path: string, container: Record<string, any> }>}
 */
function podContainers(obj) {
  const pod = obj.kind === 'Pod' ? obj.spec : obj.spec?.template?.spec;
  if (!pod) return [];
  const base = obj.kind === 'Pod' ? '/spec' : '/spec/template/spec';
  return ['initContainers', 'containers'].flatMap((field) =>
    (pod[field] ?? []).map((/** @type {Record<string, any>} */ container, /** @type {number} */ i) => ({
      path: `${base}/${field}/${i}`,
      container,
    })),
  );
}

/**
 * A container runs as non-root only when runAsNonRoot is true (the kubelet then refuses uid 0)
 * and, if a uid is given, it is not 0, on the container or inherited from the pod.
 * @param {Record<string, any>} obj
 * @returns {string[]}
 */
export function rootContainers(obj) {
  const pod = (obj.kind === 'Pod' ? obj.spec : obj.spec?.template?.spec) ?? {};
  const podCtx = pod.securityContext ?? {};
  return podContainers(obj).flatMap(({ path, container }) => {
    const ctx = { ...podCtx, ...container.securityContext };
    const bad = ctx.runAsNonRoot !== true || ctx.runAsUser === 0;
    return bad
      ? [`${path} (${container.name}): may run as root (set runAsNonRoot: true and a non-zero runAsUser)`]
      : [];
  });
}

/**
 * Validates every object of a multi-document YAML string.
 * @param {string} text
 * @returns {Promise<ObjectResult[]>}
 */
export async function validateManifests(text) {
  /** @type {ObjectResult[]} */
  const results = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      results.push({ kind: '?', name: '?', errors: doc.errors.map((e) => e.message) });
      continue;
    }
    /** @type {Record<string, any> | null} */
    const obj = doc.toJS();
    if (!obj) continue;
    const kind = String(obj.kind ?? '?');
    const name = String(obj.metadata?.name ?? '?');
    /** @type {string[]} */
    const errors = [];
    results.push({ kind, name, errors });
    const apiVersion = String(obj.apiVersion ?? '');
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    /** @type {any} */
    let Model;
    try {
      // one module per apiVersion/kind, chosen at run time: vite (vitest) must not try to resolve it
      const mod = await import(
        /* @vite-ignore */ `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`
      );
      Model = mod[kind];
    } catch {
      errors.push(`no schema for ${apiVersion} ${kind}: check apiVersion and kind`);
      continue;
    }
    /** @type {ReadLog} */
    const log = { reads: new Map(), maps: new Set() };
    try {
      Model.prototype.validate.call(track(obj, '', log));
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
    collectUnknown(obj, '', log, errors);
    errors.push(...rootContainers(obj));
  }
  return results;
}

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const results = await validateManifests(text);
  let failed = 0;
  for (const r of results) {
    if (r.errors.length === 0) console.log(`ok   ${r.kind}/${r.name}`);
    else {
      failed++;
      console.log(`FAIL ${r.kind}/${r.name}\n  ${r.errors.join('\n  ')}`);
    }
  }
  if (results.length === 0) console.log('FAIL no objects in the input');
  process.exit(failed > 0 || results.length === 0 ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
