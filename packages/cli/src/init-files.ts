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

function commandArray(command: string): string {
  return `["sh", "-c", ${yamlString(command)}]`;
}

function composeFile(s: InitSettings): string {
  return `# Compose deployment of ${s.repo}, written by \`gitpaas init\`; edit freely.
# Two containers share the volume "git": git-sync keeps /git/app pointing at the newest
# revision of the ref; the app container builds and starts each revision and switches
# traffic only when the new one answers GET /healthz. Settings are in .env.
#   docker compose up -d          (or docker-compose up -d with Compose 1.29)
#   docker compose logs -f app
${IMAGES_NOTE}
services:
  git-sync:
    image: \${GIT_SYNC_IMAGE:-ghcr.io/gitpaas/git-sync:${s.tag}}
    restart: unless-stopped
    environment:
      GITSYNC_REPO: \${GITSYNC_REPO:?set GITSYNC_REPO in .env}
      GITSYNC_REF: \${GITSYNC_REF:-HEAD}
      GITSYNC_ROOT: /git
      GITSYNC_LINK: app
      GITSYNC_PERIOD: \${GITSYNC_PERIOD:-30s}
      # retry forever (with backoff) instead of exiting on the first network error
      GITSYNC_MAX_FAILURES: "-1"
      # keep the previous revision's files while the old app process drains
      GITSYNC_STALE_WORKTREE_TIMEOUT: 5m
      GITSYNC_HTTP_BIND: 0.0.0.0:8081
      GITSYNC_HTTP_METRICS: "true"
    volumes:
      - git:/git
    healthcheck:
      # / answers 200 once the first revision is published
      test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/"]
      interval: 5s
      timeout: 3s
      retries: 60
      start_period: 5s

  app:
    image: \${APP_IMAGE:-ghcr.io/gitpaas/app:${s.tag}}
    restart: unless-stopped
    # runs in /git/app's revision directory; your app must listen on $PORT
    command: ${commandArray(s.command)}
    environment:
      GITPAAS_WATCH: /git/app
      GITPAAS_PORT: "${s.port}"
      GITPAAS_READY_PATH: \${GITPAAS_READY_PATH:-/healthz}
      GITPAAS_BUILD: \${GITPAAS_BUILD:-}
    ports:
      - "\${APP_PUBLISH:-127.0.0.1:${s.port}}:${s.port}"
    volumes:
      - git:/git
    depends_on:
      git-sync:
        condition: service_healthy

volumes:
  git: {}
`;
}

function envFile(s: InitSettings): string {
  return `# Settings for compose.yaml; docker compose reads this file by itself.
# The repository to deploy (https, ssh or file URL) and the ref to follow.
GITSYNC_REPO=${s.repo}
GITSYNC_REF=${s.ref}
# How often to ask the remote for a new revision.
GITSYNC_PERIOD=30s
# Run before starting each revision, in its directory (e.g. npm ci --omit=dev); empty = none.
GITPAAS_BUILD=
# The path that answers 2xx when a new revision is ready for traffic.
GITPAAS_READY_PATH=/healthz
# host:port the app is published on; 0.0.0.0:${s.port} to reach it from other machines.
APP_PUBLISH=127.0.0.1:${s.port}
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
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
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
            # retry forever (with backoff) instead of exiting on the first network error
            - name: GITSYNC_MAX_FAILURES
              value: "-1"
            # keep the previous revision's files while the old app process drains
            - name: GITSYNC_STALE_WORKTREE_TIMEOUT
              value: 5m
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
          ports:
            - { name: http, containerPort: ${s.port} }
          readinessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 5
          livenessProbe:
            tcpSocket: { port: http }
            initialDelaySeconds: 30
            periodSeconds: 20
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
