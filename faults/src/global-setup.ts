import { rmSync } from 'node:fs';
import { CASES_DIR } from './fault-case.js';
import { writeReport } from './report.js';

/** Each run starts from no records; with GITPAAS_FAULTS_DOC=1 (`pnpm test:faults`) it ends by rendering the doc. */
export default function setup(): () => void {
  rmSync(CASES_DIR, { recursive: true, force: true });
  const startedAt = new Date();
  return () => {
    if (process.env.GITPAAS_FAULTS_DOC === '1') writeReport(startedAt, new Date());
  };
}
