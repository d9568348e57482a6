import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { isRunning, readProcess } from '@gitpaas/core';

export interface Started {
  kind: string;
  /** A pid, or a port for kind "port". */
  value: number;
  revision: string;
}

/** What the fault app wrote to FAULTS_PID_FILE: everything it started, by revision. */
export function startedBy(pidFile: string, revision?: string): Started[] {
  let text = '';
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind = '', value = '', rev = ''] = line.split(' ');
      return { kind, value: Number(value), revision: rev };
    })
    .filter((entry) => revision === undefined || entry.revision === revision);
}

/** A process is gone when /proc no longer shows it, or it is a zombie nobody reaped yet. */
export function alive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== null && isRunning(info);
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
