import { createSpinner, type Spinner } from 'nanospinner';
import type { Stream } from './terminal.js';

/**
 * A spinner for the slow moments (initial clone, builds) on an interactive terminal;
 * nothing at all elsewhere, where the log lines already say the same.
 */
export interface Progress {
  start(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  /** Stops without a final line (shutdown). */
  stop(): void;
  /** The stream to log through: it lifts the spinner out of the way of each line. */
  readonly stream: Stream;
}

const FRAME_MS = 80;

export function createProgress(stream: Stream, enabled: boolean): Progress {
  // nanospinner decides between redrawing and printing lines by looking at stdout.
  if (!enabled || !stream.interactive || !process.stdout.isTTY) {
    const none = () => {};
    return { start: none, succeed: none, fail: none, stop: none, stream };
  }
  let spinner: Spinner | undefined;
  let timer: NodeJS.Timeout | undefined;
  const target = process.stderr;
  // Frames are driven here rather than by spinner.start(): nanospinner's start() installs
  // SIGINT/SIGTERM handlers that call process.exit(), which would skip stopping the app.
  const halt = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const finish = (how: 'success' | 'error' | 'clear', text?: string) => {
    if (!spinner) return;
    halt();
    if (how === 'clear') spinner.clear().write('\x1b[?25h');
    else spinner[how]({ text: text ?? '' });
    spinner = undefined;
  };
  return {
    start(text) {
      if (spinner) {
        spinner.update({ text });
        return;
      }
      spinner = createSpinner(text, { stream: target, color: 'cyan' });
      spinner.spin();
      timer = setInterval(() => spinner?.spin(), FRAME_MS);
      timer.unref();
    },
    succeed: (text) => finish('success', text),
    fail: (text) => finish('error', text),
    stop: () => finish('clear'),
    stream: {
      colors: stream.colors,
      interactive: stream.interactive,
      write(text) {
        if (!spinner) return stream.write(text);
        spinner.clear();
        stream.write(text);
        spinner.render();
      },
    },
  };
}
