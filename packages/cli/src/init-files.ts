/** What `gitpaas init` needs to know about the user's app. */
export interface InitSettings {
  repo: string;
  ref: string;
  /** DNS-safe app name (k8s object names, compose service prefix). */
  name: string;
  /** Port the app listens on ($PORT inside the container); also the published port. */
  port: number;
  /** The app's start command, run in each revision's directory. */
  command: string;
  /** Image tag of the gitpaas images. */
  tag: string;
}

export interface InitFile {
  path: string;
  content: string;
}

const IMAGES_NOTE = `# Images: ghcr.io/gitpaas/git-sync (the sidecar) and ghcr.io/gitpaas/app (the reloader that
# runs your app) are the gitpaas project's intended published image names. Until they are
# published, build them from a gitpaas checkout with deploy/images/build.sh and put the
# names it prints here.`;

/** A DNS-1123 label from the repository URL's last path element (`my_App.git` → `my-app`). */
export function appNameFromRepo(repo: string): string {
  const leaf =
    repo
      .replace(/[/\\]+$/, '')
      .split(/[/:\\]/)
      .pop() ?? '';
  const name = leaf
    .replace(/\.git$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return /^[a-z]/.test(name) ? name : `app-${name || 'git'}`.replace(/-+$/, '');
}

function yamlString(text: string): string {
  return JSON.stringify(text);
}

/** The app command as container args; the app image runs them with the reloader. */
function commandArray(command: string): string {
  return `["sh", "-c", ${yamlString(command)}]`;
}

function composeFile(s: InitSettings): string {
  return `# Compose deployment of ${s.repo}, written by \`gitpaas init\`; edit freely.
# Two containers share the volume "git": git-sync keeps /git/app pointing at the newest
# revision of the ref; the app container (the gitpaas reloader) builds and starts each
# revision and switches traffic only once the new one answers GITPAAS_READY_PATH.
# Settings are in .env. Compose v2 (docker compose up -d) and docker-compose 1.29.
${IMAGES_NOTE}
services:
  git-sync:
    image: \${GITSYNC_IMAGE:-ghcr.io/gitpaas/git-sync:${s.tag}}
    restart: unless-stopped
    user: "1000:1000"
    read_only: true
    tmpfs:
      - /tmp
    environment:
      GITSYNC_REPO: \${GITPAAS_REPO:?set GITPAAS_REPO in .env (the git URL to deploy)}
      GITSYNC_REF: \${GITPAAS_REF:-HEAD}
      GITSYNC_PERIOD: \${GITPAAS_PERIOD:-30s}
      GITSYNC_ROOT: /git
      GITSYNC_LINK: app
      # retry forever, backing off up to a minute, while the last good revision stays published
      GITSYNC_MAX_FAILURES: "-1"
      GITSYNC_MAX_SYNC_BACKOFF: 1m
      # keep the previous revision's files longer than the app drains it
      GITSYNC_STALE_WORKTREE_TIMEOUT: 2m
      GITSYNC_HTTP_BIND: 0.0.0.0:8081
      GITSYNC_HTTP_METRICS: "true"
    volumes:
      - git:/git
    ports:
      # GET / (health), /status, /metrics and POST /sync (the push trigger)
      - "\${GITSYNC_PUBLISH:-127.0.0.1:8081}:8081"
    healthcheck:
      # / answers 200 once the first revision is published
      test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/"]
      interval: 5s
      timeout: 3s
      retries: 60

  app:
    image: \${APP_IMAGE:-ghcr.io/gitpaas/app:${s.tag}}
    restart: unless-stopped
    user: "1000:1000"
    read_only: true
    tmpfs:
      - /tmp
    depends_on:
      git-sync:
        condition: service_healthy
    environment:
      GITPAAS_WATCH: /git/app
      GITPAAS_PORT: "${s.port}"
      GITPAAS_READY_PATH: \${GITPAAS_READY_PATH:-/healthz}
      GITPAAS_BUILD: \${GITPAAS_BUILD:-}
      GITPAAS_DRAIN_TIMEOUT: 30s
      GITPAAS_HTTP_BIND: 127.0.0.1:9090
      GITPAAS_STATE_DIR: /tmp/gitpaas
    # your app's command, run in the revision's directory; it must listen on $PORT
    command: \${APP_COMMAND:-${s.command}}
    volumes:
      - git:/git
    ports:
      - "\${GITPAAS_PUBLISH:-127.0.0.1:${s.port}}:${s.port}"

volumes:
  git: {}
`;
}

function envFile(s: InitSettings): string {
  return `# Settings for compose.yaml; docker compose reads this file by itself.
# The repository to deploy (https, ssh or file URL) and the ref to follow.
GITPAAS_REPO=${s.repo}
GITPAAS_REF=${s.ref}
# How often to ask the remote for a new revision (POST /sync on :8081 syncs at once).
GITPAAS_PERIOD=30s
# Your app's start command, run in each revision's directory.
APP_COMMAND=${s.command}
# Run before starting each revision, in its directory (e.g. npm ci --omit=dev); empty = none.
GITPAAS_BUILD=
# The path that answers 2xx when a new revision is ready for traffic.
GITPAAS_READY_PATH=/healthz
# Where the app is published; 0.0.0.0:${s.port} to reach it from other machines.
GITPAAS_PUBLISH=127.0.0.1:${s.port}
`;
}

function kustomization(s: InitSettings): string {
  return `# Kubernetes deployment of ${s.repo}, written by \`gitpaas init\`; edit freely.
#   kubectl apply -k .        (render only: kubectl kustomize .)
${IMAGES_NOTE}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
  - pairs:
      app.kubernetes.io/name: ${s.name}
      app.kubernetes.io/part-of: gitpaas
    includeSelectors: true
resources:
  - deployment.yaml
  - service.yaml
configMapGenerator:
  - name: ${s.name}-config
    envs:
      - config.env
images:
  - name: ghcr.io/gitpaas/git-sync
    newTag: "${s.tag}"
  - name: ghcr.io/gitpaas/app
    newTag: "${s.tag}"
`;
}

function configEnv(s: InitSettings): string {
  return `# Read by both containers (configMapGenerator in kustomization.yaml).
GITSYNC_REPO=${s.repo}
GITSYNC_REF=${s.ref}
GITSYNC_PERIOD=30s
GITPAAS_READY_PATH=/healthz
`;
}

function deployment(s: InitSettings): string {
  const securityContext = `          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]`;
  return `# One pod: an init container makes the first sync (--one-time), the git-sync sidecar
# follows the ref, the app container runs the newest revision from the shared emptyDir.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${s.name}
spec:
  replicas: 1
  template:
    spec:
      # a Service named like a GITPAAS_* prefix would inject GITPAAS_PORT=tcp://… into the app
      enableServiceLinks: false
      automountServiceAccountToken: false
      # the reloader's drain (30s) and stop timeout (10s), plus margin
      terminationGracePeriodSeconds: 45
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      initContainers:
        - name: git-sync-init
          image: ghcr.io/gitpaas/git-sync
          args: ["--one-time"]
          envFrom:
            - configMapRef:
                name: ${s.name}-config
          env:
            - name: GITSYNC_ROOT
              value: /git
            - name: GITSYNC_LINK
              value: app
          volumeMounts:
            - { name: git, mountPath: /git }
            - { name: tmp, mountPath: /tmp }
${securityContext}
          resources:
            requests: { cpu: 50m, memory: 64Mi }
      containers:
        - name: git-sync
          image: ghcr.io/gitpaas/git-sync
          envFrom:
            - configMapRef:
                name: ${s.name}-config
          env:
            - name: GITSYNC_ROOT
              value: /git
            - name: GITSYNC_LINK
              value: app
            # retry forever, backing off up to a minute, while the last good revision stays published
            - name: GITSYNC_MAX_FAILURES
              value: "-1"
            - name: GITSYNC_MAX_SYNC_BACKOFF
              value: 1m
            # keep the previous revision's files longer than the app drains it
            - name: GITSYNC_STALE_WORKTREE_TIMEOUT
              value: 2m
            - name: GITSYNC_HTTP_BIND
              value: 0.0.0.0:8081
            - name: GITSYNC_HTTP_METRICS
              value: "true"
          ports:
            - { name: sync, containerPort: 8081 }
          livenessProbe:
            httpGet: { path: /, port: sync }
            initialDelaySeconds: 10
            periodSeconds: 20
            failureThreshold: 6
          volumeMounts:
            - { name: git, mountPath: /git }
            - { name: tmp, mountPath: /tmp }
${securityContext}
          resources:
            requests: { cpu: 50m, memory: 64Mi }
        - name: app
          image: ghcr.io/gitpaas/app
          # runs in /git/app's revision directory; your app must listen on $PORT
          args: ${commandArray(s.command)}
          envFrom:
            - configMapRef:
                name: ${s.name}-config
          env:
            - name: GITPAAS_WATCH
              value: /git/app
            - name: GITPAAS_PORT
              value: "${s.port}"
            - name: GITPAAS_DRAIN_TIMEOUT
              value: 30s
            - name: GITPAAS_HTTP_BIND
              value: ":9090"
            - name: GITPAAS_STATE_DIR
              value: /tmp/gitpaas
          ports:
            - { name: http, containerPort: ${s.port} }
            - { name: status, containerPort: 9090 }
          # ready = the live release answers through the reloader's proxy
          readinessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 5
          # alive = the reloader answers; a failed release keeps the old one serving, which
          # is no reason to restart the container
          livenessProbe:
            httpGet: { path: /status, port: status }
            periodSeconds: 10
            failureThreshold: 6
          volumeMounts:
            - { name: git, mountPath: /git }
            - { name: tmp, mountPath: /tmp }
${securityContext}
          resources:
            requests: { cpu: 100m, memory: 128Mi }
      volumes:
        - { name: git, emptyDir: {} }
        - { name: tmp, emptyDir: {} }
`;
}

function service(s: InitSettings): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${s.name}
spec:
  ports:
    - { name: http, port: 80, targetPort: http }
`;
}

/** Every file `gitpaas init` writes, relative to its --dir. */
export function initFiles(settings: InitSettings): InitFile[] {
  return [
    { path: 'compose.yaml', content: composeFile(settings) },
    { path: '.env', content: envFile(settings) },
    { path: 'k8s/kustomization.yaml', content: kustomization(settings) },
    { path: 'k8s/config.env', content: configEnv(settings) },
    { path: 'k8s/deployment.yaml', content: deployment(settings) },
    { path: 'k8s/service.yaml', content: service(settings) },
  ];
}
