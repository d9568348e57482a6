import { createSpinner, type Spinner } from 'nanospinner';
import type { Stream } from './terminal.js';

/**
 * A spinner for the slow moments (initial clone, builds) on an interactive terminal;
 * nothing at all elsewhere, where the log lines already say the same.
 */
export interface Progress {
  /** Shows the spinner with this text (or changes its text). */
  start(text: string): void;
  /** Removes the spinner; the log line that follows says how it went. */
  stop(): void;
  /** The stream to log through: it lifts the spinner out of the way of each line. */
  readonly stream: Stream;
  /** The same for another stream on the same terminal (stdout). */
  wrap(stream: Stream): Stream;
}

const FRAME_MS = 80;

export function createProgress(stream: Stream, enabled: boolean): Progress {
  // nanospinner decides between redrawing and printing lines by looking at stdout, and
  // counts the lines to redraw by the terminal's width (a pty without a size reports 0).
  if (!enabled || !stream.interactive || !process.stdout.isTTY || !(process.stderr.columns > 0)) {
    const none = () => {};
    return { start: none, stop: none, stream, wrap: (other) => other };
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
  const stop = () => {
    if (!spinner) return;
    halt();
    spinner.clear().write('\x1b[?25h');
    spinner = undefined;
  };
  function wrap(other: Stream): Stream {
    return {
      colors: other.colors,
      interactive: other.interactive,
      write(text) {
        if (!spinner) return other.write(text);
        spinner.clear();
        other.write(text);
        spinner.render();
      },
    };
  }
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
    stop,
    stream: wrap(stream),
    wrap,
  };
}
