import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootContainers, validateManifests } from '../lib/validate-k8s.mjs';
import {
  DEPLOY,
  durationMs,
  flagNames,
  flagOfEnv,
  hasCommand,
  kustomize,
  objects,
  type Yaml,
} from './helpers.js';

const hasKubectl = hasCommand('kubectl');
const skipped = hasKubectl ? '' : ' (skipped: kubectl is not installed)';
const DIRS = ['k8s', 'k8s/overlays/example', 'k8s/overlays/podman-ci'];

const render = (dir: string) => objects(kustomize(dir));
const deployment = (dir: string) => render(dir).find((o) => o.kind === 'Deployment');
/** What runs the pods: the Deployment, or in overlays/podman-ci a bare Pod with its pod template. */
const workload = (dir: string) => render(dir).find((o) => o.kind === 'Deployment' || o.kind === 'Pod');
const podSpecOf = (objs: Yaml[]) => {
  const w = objs.find((o) => o.kind === 'Deployment' || o.kind === 'Pod');
  return w.kind === 'Pod' ? w.spec : w.spec.template.spec;
};
const envOf = (container: Yaml) =>
  Object.fromEntries((container.env ?? []).map((e: Yaml) => [e.name, e.value]));
const byName = (list: Yaml[], name: string) => list.find((c) => c.name === name);

describe.skipIf(!hasKubectl)(`kustomize output${skipped}`, () => {
  it.each(DIRS)(
    '%s renders objects that validate against the API schemas, with no unknown field',
    async (dir) => {
      const results = await validateManifests(kustomize(dir));
      const runs = dir.endsWith('podman-ci') ? 'Pod' : 'Deployment';
      expect(results.map((r) => r.kind).sort()).toEqual(['ConfigMap', runs, 'Service', 'Service']);
      for (const r of results) expect(r.errors, `${r.kind}/${r.name}`).toEqual([]);
    },
  );

  it.each(DIRS)('%s runs no container as root', (dir) => {
    expect(rootContainers(workload(dir))).toEqual([]);
  });

  it('deploy/k8s: an init container syncs once, then the sidecar and the app share an emptyDir', () => {
    const d = deployment('k8s');
    const pod = d.spec.template.spec;
    expect(pod.initContainers.map((c: Yaml) => c.name)).toEqual(['git-sync-init']);
    expect(pod.initContainers[0].args).toEqual(['--one-time']);
    expect(pod.containers.map((c: Yaml) => c.name)).toEqual(['git-sync', 'app']);
    expect(byName(pod.volumes, 'git')).toEqual({ name: 'git', emptyDir: {} });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.volumeMounts).toContainEqual({ name: 'git', mountPath: '/git' });
    }
    const app = envOf(byName(pod.containers, 'app'));
    expect(app.GITPAAS_WATCH).toBe(`/git/${envOf(pod.initContainers[0]).GITSYNC_LINK}`);
  });

  it('deploy/k8s: repo, ref and period come from a ConfigMap', () => {
    const objs = render('k8s');
    const configMap = objs.find((o) => o.kind === 'ConfigMap');
    expect(Object.keys(configMap.data).sort()).toEqual(['GITSYNC_PERIOD', 'GITSYNC_REF', 'GITSYNC_REPO']);
    const pod = objs.find((o) => o.kind === 'Deployment').spec.template.spec;
    for (const c of [pod.initContainers[0], byName(pod.containers, 'git-sync')]) {
      expect(c.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    }
  });

  it('deploy/k8s: restricted security settings, probes and resources on every container', () => {
    const pod = deployment('k8s').spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // a Service named gitpaas would otherwise inject GITPAAS_PORT=tcp://… into the reloader
    expect(pod.enableServiceLinks).toBe(false);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext, c.name).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(Object.keys(c.resources).sort(), c.name).toEqual(['limits', 'requests']);
      expect(
        c.volumeMounts.map((m: Yaml) => m.mountPath),
        c.name,
      ).toContain('/tmp');
    }
    for (const c of pod.containers) expect(c.livenessProbe, c.name).toBeDefined();
    // Ready for any app: the reloader's own /ready (a release is live), not a path of the app.
    expect(byName(pod.containers, 'app').readinessProbe.httpGet).toEqual({ path: '/ready', port: 9090 });
  });

  it('deploy/k8s: the sidecar retries forever with backoff and keeps old worktrees past the drain', () => {
    const pod = deployment('k8s').spec.template.spec;
    const sync = envOf(byName(pod.containers, 'git-sync'));
    const app = envOf(byName(pod.containers, 'app'));
    expect(sync.GITSYNC_MAX_FAILURES).toBe('-1');
    expect(durationMs(sync.GITSYNC_MAX_SYNC_BACKOFF)).toBeGreaterThan(0);
    expect(durationMs(sync.GITSYNC_STALE_WORKTREE_TIMEOUT)).toBeGreaterThanOrEqual(
      durationMs(app.GITPAAS_DRAIN_TIMEOUT),
    );
    // drain + the reloader's default 10 s stop timeout must fit in the grace period
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
      durationMs(app.GITPAAS_DRAIN_TIMEOUT) + 10_000,
    );
  });

  it('deploy/k8s: the dashboard reaches the sidecar in the pod, which keeps revisions to roll back to', () => {
    const pod = deployment('k8s').spec.template.spec;
    const sync = envOf(byName(pod.containers, 'git-sync'));
    const app = envOf(byName(pod.containers, 'app'));
    expect(Number(sync.GITSYNC_KEEP_REVISIONS)).toBeGreaterThan(0);
    expect(app.GITPAAS_SYNC_URL).toBe(`http://127.0.0.1${sync.GITSYNC_HTTP_BIND}`);
    const service = render('k8s').find((o) => o.kind === 'Service');
    expect(service.spec.ports.map((p: Yaml) => p.targetPort)).toEqual(['http', 'sync', 'status']);
  });

  it.each(DIRS)('%s sets only real flags of git-sync and the reloader', (dir) => {
    const objs = render(dir);
    const gitSync = flagNames('git-sync');
    const reloader = flagNames('reloader');
    const pod = podSpecOf(objs);
    const syncEnvs = [
      ...Object.keys(objs.find((o) => o.kind === 'ConfigMap').data),
      ...[...pod.initContainers, byName(pod.containers, 'git-sync')].flatMap((c) => Object.keys(envOf(c))),
    ];
    for (const env of syncEnvs) expect(gitSync, env).toContain(flagOfEnv(env, 'GITSYNC_'));
    for (const env of Object.keys(envOf(byName(pod.containers, 'app')))) {
      expect(reloader, env).toContain(flagOfEnv(env, 'GITPAAS_'));
    }
  });

  it('deploy/k8s: a headless Service lists every pod, ready or not, at the sync port', () => {
    const objs = render('k8s');
    const d = objs.find((o) => o.kind === 'Deployment');
    const headless = objs.find((o) => o.kind === 'Service' && o.spec.clusterIP === 'None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.selector).toEqual(d.spec.selector.matchLabels);
    expect(d.spec.template.metadata.labels).toMatchObject(headless.spec.selector);
    const sync = byName(d.spec.template.spec.containers, 'git-sync');
    const [port] = headless.spec.ports;
    expect(sync.ports.find((p: Yaml) => p.name === port.targetPort).containerPort).toBe(port.port);
    expect(envOf(sync).GITSYNC_HTTP_BIND).toBe(`:${port.port}`);
    // Fan-out needs the trigger secret: the base, without it, must not set it.
    expect(envOf(sync).GITSYNC_TRIGGER_FANOUT).toBeUndefined();
  });

  it('deploy/k8s: a rolling update of the images never lowers capacity', () => {
    const d = deployment('k8s');
    expect(d.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    // Ready = a release is live (the reloader's /ready) and the sidecar has synced: a new pod
    // with a broken image of either never takes an old one's place.
    const [sync, app] = ['git-sync', 'app'].map((name) => byName(d.spec.template.spec.containers, name));
    expect(app.readinessProbe.httpGet.path).toBe('/ready');
    expect(sync.readinessProbe.httpGet).toEqual({ path: '/', port: 8081 });
    expect(envOf(sync).GITSYNC_HTTP_BIND).toBe(':8081');
  });

  it.each(DIRS)(
    '%s sets --trigger-fanout exactly when the trigger secret is, naming the headless Service',
    (dir) => {
      const objs = render(dir);
      const sync = envOf(byName(podSpecOf(objs).containers, 'git-sync'));
      const headless = objs.find((o) => o.kind === 'Service' && o.spec.clusterIP === 'None');
      const expected = sync.GITSYNC_TRIGGER_SECRET_FILE
        ? `${headless.metadata.name}:${headless.spec.ports[0].port}`
        : undefined;
      expect(sync.GITSYNC_TRIGGER_FANOUT).toBe(expected);
    },
  );

  it('overlays/example: three replicas of another repository, with credentials and the webhook secret', () => {
    const base = render('k8s').find((o) => o.kind === 'ConfigMap');
    const objs = render('k8s/overlays/example');
    const d = objs.find((o) => o.kind === 'Deployment');
    expect(d.spec.replicas).toBe(3);
    expect(objs.find((o) => o.kind === 'ConfigMap').data.GITSYNC_REPO).not.toBe(base.data.GITSYNC_REPO);
    const sync = envOf(byName(d.spec.template.spec.containers, 'git-sync'));
    expect(sync.GITSYNC_PASSWORD_FILE).toMatch(/^\/etc\//);
    expect(sync.GITSYNC_TRIGGER_SECRET_FILE).toMatch(/^\/etc\//);
    // One delivery reaches every replica: the pod that gets it re-sends it to the others.
    expect(sync.GITSYNC_TRIGGER_FANOUT).toBe('gitpaas-sync:8081');
  });

  it('overlays/podman-ci: the base pod template as a bare Pod (OnFailure), host network, no ports, the e2e ports and repository', () => {
    const objs = render('k8s/overlays/podman-ci');
    expect(objs.some((o) => o.kind === 'Deployment')).toBe(false);
    const pod = podSpecOf(objs);
    const base = deployment('k8s').spec.template.spec;
    expect(pod.initContainers.map((c: Yaml) => c.name)).toEqual(base.initContainers.map((c: Yaml) => c.name));
    expect(pod.containers.map((c: Yaml) => c.name)).toEqual(base.containers.map((c: Yaml) => c.name));
    expect(pod.volumes).toEqual(base.volumes);
    expect(pod.securityContext).toEqual(base.securityContext);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.restartPolicy).toBe('OnFailure');
    for (const c of [...pod.initContainers, ...pod.containers]) expect(c.ports, c.name).toBeUndefined();
    const sync = envOf(byName(pod.containers, 'git-sync'));
    const app = envOf(byName(pod.containers, 'app'));
    const run = readFileSync(join(DEPLOY, 'e2e', 'run.sh'), 'utf8');
    const port = (name: string) => new RegExp(`^${name}=(\\d+)`, 'm').exec(run)?.[1];
    expect(objs.find((o) => o.kind === 'ConfigMap').data.GITSYNC_REPO).toBe(
      `git://127.0.0.1:${port('GIT_PORT')}/app.git`,
    );
    expect(sync.GITSYNC_HTTP_BIND).toBe(`127.0.0.1:${port('POD_SYNC_PORT')}`);
    expect(app.GITPAAS_HOST).toBe('127.0.0.1');
    expect(app.GITPAAS_PORT).toBe(port('POD_APP_PORT'));
    expect(app.GITPAAS_HTTP_BIND).toBe(`127.0.0.1:${port('POD_STATUS_PORT')}`);
    expect(app.GITPAAS_SYNC_URL).toBe(`http://${sync.GITSYNC_HTTP_BIND}`);
    for (const c of pod.containers) expect(c.image, c.name).toMatch(/^localhost\/gitpaas\/.+:local$/);
    // Every probe points at the ports the e2e uses (podman turns liveness probes into healthchecks).
    const probePorts = pod.containers.flatMap((c: Yaml) =>
      [c.readinessProbe, c.livenessProbe].filter(Boolean).map((p: Yaml) => String(p.httpGet.port)),
    );
    const e2ePorts = ['POD_SYNC_PORT', 'POD_APP_PORT', 'POD_STATUS_PORT'].map(port);
    for (const p of probePorts) expect(e2ePorts).toContain(p);
  });
});

describe.skipIf(!hasKubectl)(`replicas-ci.mjs: three replicas of the CI pod for podman${skipped}`, () => {
  const SYNC = ['19291', '19292', '19293'];
  const replicas = () => {
    const result = spawnSync(
      'node',
      [join(DEPLOY, 'e2e', 'replicas-ci.mjs'), '/srv/trigger', SYNC.join(','), '1,2,3', '4,5,6'],
      { input: kustomize('k8s/overlays/podman-ci'), encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    return { text: result.stdout, objs: objects(result.stdout) };
  };

  it('copies the pod with its own ports and volumes, each naming all three in --trigger-fanout', () => {
    const { objs } = replicas();
    const [configMap, ...pods] = objs;
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.data.GITSYNC_PERIOD).toBe('1h');
    expect(pods.map((p: Yaml) => p.metadata.name)).toEqual([
      'gitpaas-ci-r1',
      'gitpaas-ci-r2',
      'gitpaas-ci-r3',
    ]);
    const volumes = new Set<string>();
    pods.forEach((pod: Yaml, i: number) => {
      const sync = envOf(byName(pod.spec.containers, 'git-sync'));
      const app = envOf(byName(pod.spec.containers, 'app'));
      expect(sync.GITSYNC_HTTP_BIND).toBe(`127.0.0.1:${SYNC[i]}`);
      expect(sync.GITSYNC_TRIGGER_FANOUT).toBe(SYNC.map((p) => `127.0.0.1:${p}`).join(','));
      expect(sync.GITSYNC_TRIGGER_SECRET_FILE).toBe('/etc/gitpaas-trigger/secret');
      expect([app.GITPAAS_PORT, app.GITPAAS_HTTP_BIND]).toEqual([String(i + 1), `127.0.0.1:${i + 4}`]);
      for (const c of [pod.spec.initContainers[0], byName(pod.spec.containers, 'git-sync')]) {
        expect(c.envFrom, c.name).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
      }
      for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
        for (const m of c.volumeMounts) expect(pod.spec.volumes.map((v: Yaml) => v.name)).toContain(m.name);
      }
      // podman 4.3 shares an emptyDir between pods that name it alike
      for (const v of pod.spec.volumes) {
        expect(volumes.has(v.name), v.name).toBe(false);
        volumes.add(v.name);
      }
      expect(byName(pod.spec.volumes, `trigger-secret-r${i + 1}`).hostPath.path).toBe('/srv/trigger');
    });
  });

  it('writes objects that validate against the API schemas', async () => {
    const results = await validateManifests(replicas().text);
    expect(results).toHaveLength(4);
    for (const r of results) expect(r.errors, `${r.kind}/${r.name}`).toEqual([]);
  });
});

describe('validateManifests', () => {
  const deploymentYaml = (
    container: string,
    podSecurity = 'securityContext: { runAsNonRoot: true, runAsUser: 1000 }',
  ) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: x, labels: { a: b } }
spec:
  selector: { matchLabels: { a: b } }
  template:
    metadata: { labels: { a: b } }
    spec:
      ${podSecurity}
      containers:
        - ${container}
`;

  it('accepts a valid object, including free-form maps and int-or-string ports', async () => {
    const [r] = await validateManifests(
      deploymentYaml(
        '{ name: c, image: i, resources: { limits: { cpu: "1", memory: 1Gi } }, ports: [{ name: http, containerPort: 80 }], readinessProbe: { httpGet: { path: /, port: http } } }',
      ),
    );
    expect(r?.errors).toEqual([]);
  });

  it('reports an unknown field with its path', async () => {
    const [r] = await validateManifests(deploymentYaml('{ name: c, image: i, volumeMountz: [] }'));
    expect(r?.errors).toEqual([
      '/spec/template/spec/containers/0/volumeMountz: unknown field "volumeMountz"',
    ]);
  });

  it('reports a wrong type', async () => {
    const [r] = await validateManifests(
      deploymentYaml('{ name: c, image: i, ports: [{ containerPort: "80" }] }'),
    );
    expect(r?.errors.join('\n')).toMatch(/containerPort must be integer/);
  });

  it('reports a container that may run as root', async () => {
    const [r] = await validateManifests(deploymentYaml('{ name: c, image: i }', 'securityContext: {}'));
    expect(r?.errors.join('\n')).toMatch(/\(c\): may run as root/);
  });

  it('reports a kind it has no schema for', async () => {
    const [r] = await validateManifests('apiVersion: v1\nkind: Pdo\nmetadata: { name: x }\n');
    expect(r?.errors.join('\n')).toMatch(/no schema for v1 Pdo/);
  });
});
