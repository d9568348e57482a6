/**
 * The reference deployment (deploy/ of the gitpaas repository) that `gitpaas init` makes its
 * files from: each file it writes → the file it starts from. The build copies exactly these
 * into dist/deploy.
 */
export const REFERENCE_FILES = {
  'compose.yaml': 'compose/compose.yaml',
  '.env': 'compose/.env.example',
  'secrets/.gitignore': 'compose/secrets/.gitignore',
  'k8s/kustomization.yaml': 'k8s/base/kustomization.yaml',
  'k8s/deployment.yaml': 'k8s/base/deployment.yaml',
  'k8s/service.yaml': 'k8s/base/service.yaml',
  'k8s/service-sync.yaml': 'k8s/base/service-sync.yaml',
} as const;
