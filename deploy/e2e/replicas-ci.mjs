// @ts-check
// Replicas for the container tier. In a cluster, replicas are copies of one pod template, each
// with its own IP, and --trigger-fanout names a headless Service that resolves to all of them.
// podman 4.3 runs pods on the host network, without Service DNS, and shares an emptyDir between
// pods that name it alike; so this turns the rendered overlays/podman-ci (stdin) into N copies
// of its Pod (stdout) that differ only where one host makes them: their own ports and volume
// names, --trigger-fanout listing every copy's sync port on 127.0.0.1 (each skips itself by
// port), the trigger secret from a host directory (in place of the webhook-trigger component's
// Secret), and a ConfigMap of their own with a period that never comes (1h), so only a trigger
// moves them.
// Usage: kubectl kustomize deploy/k8s/overlays/podman-ci |
//          node replicas-ci.mjs SECRET_DIR SYNC_PORTS APP_PORTS STATUS_PORTS   (ports comma-separated)
import { parseAllDocuments, stringify } from 'yaml';

const [secretDir, ...portLists] = process.argv.slice(2);
const [syncPorts, appPorts, statusPorts] = portLists.map((list) => (list ?? '').split(',').filter(Boolean));
if (
  !secretDir ||
  !syncPorts?.length ||
  syncPorts.length !== appPorts?.length ||
  syncPorts.length !== statusPorts?.length
) {
  console.error('replicas-ci: usage: node replicas-ci.mjs SECRET_DIR SYNC_PORTS APP_PORTS STATUS_PORTS');
  process.exit(2);
}

let text = '';
for await (const chunk of process.stdin) text += chunk;
const objects = parseAllDocuments(text).map((doc) => doc.toJS());
const pod = objects.find((o) => o?.kind === 'Pod');
const configMap = objects.find((o) => o?.kind === 'ConfigMap');
if (!pod || !configMap) {
  console.error(
    'replicas-ci: no Pod and ConfigMap in the input; pipe the rendered overlays/podman-ci into it',
  );
  process.exit(1);
}

/** @param {Record<string, any>} container @param {string} name */
const envValue = (container, name) => container.env?.find((/** @type {any} */ e) => e.name === name)?.value;
/** @param {Record<string, any>} container @param {string} name @param {string} value */
function setEnv(container, name, value) {
  container.env = [
    ...(container.env ?? []).filter((/** @type {any} */ e) => e.name !== name),
    { name, value },
  ];
}
const portOf = (/** @type {string} */ bind) => String(bind.split(':').at(-1));

const configName = `${configMap.metadata.name}-replicas`;
const out = [
  {
    ...configMap,
    metadata: { ...configMap.metadata, name: configName },
    data: { ...configMap.data, GITSYNC_PERIOD: '1h' },
  },
];
const fanout = syncPorts.map((port) => `127.0.0.1:${port}`).join(',');

syncPorts.forEach((syncPort, i) => {
  const appPort = String(appPorts[i]);
  const statusPort = String(statusPorts[i]);
  const copy = structuredClone(pod);
  const suffix = `-r${i + 1}`;
  copy.metadata.name += suffix;
  const spec = copy.spec;
  const sync = spec.containers.find((/** @type {any} */ c) => c.name === 'git-sync');
  const app = spec.containers.find((/** @type {any} */ c) => c.name === 'app');
  /** @type {Record<string, string>} the template's port → this copy's */
  const ports = {
    [portOf(envValue(sync, 'GITSYNC_HTTP_BIND'))]: syncPort,
    [String(envValue(app, 'GITPAAS_PORT'))]: appPort,
    [portOf(envValue(app, 'GITPAAS_HTTP_BIND'))]: statusPort,
  };
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const from of container.envFrom ?? []) if (from.configMapRef) from.configMapRef.name = configName;
    for (const mount of container.volumeMounts ?? []) mount.name += suffix;
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      if (probe?.httpGet)
        probe.httpGet.port = Number(ports[String(probe.httpGet.port)] ?? probe.httpGet.port);
    }
  }
  for (const volume of spec.volumes) volume.name += suffix;
  setEnv(sync, 'GITSYNC_HTTP_BIND', `127.0.0.1:${syncPort}`);
  setEnv(sync, 'GITSYNC_TRIGGER_SECRET_FILE', '/etc/gitpaas-trigger/secret');
  setEnv(sync, 'GITSYNC_TRIGGER_FANOUT', fanout);
  sync.volumeMounts.push({
    name: `trigger-secret${suffix}`,
    mountPath: '/etc/gitpaas-trigger',
    readOnly: true,
  });
  spec.volumes.push({ name: `trigger-secret${suffix}`, hostPath: { path: secretDir, type: 'Directory' } });
  setEnv(app, 'GITPAAS_PORT', appPort);
  setEnv(app, 'GITPAAS_HTTP_BIND', `127.0.0.1:${statusPort}`);
  out.push(copy);
});
process.stdout.write(out.map((o) => stringify(o)).join('---\n'));
