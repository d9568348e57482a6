import { Api } from '../api.js';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { commandTable, serverUrlOption } from '../flags.js';
import { DEFAULT_HTTP_BIND } from '../up-options.js';

export const logsOptions = commandTable([
  serverUrlOption(DEFAULT_HTTP_BIND),
  {
    name: 'follow',
    short: 'f',
    type: 'bool',
    help: "Keep printing new lines as they come; without --release, every new release's too",
  },
  {
    name: 'release',
    type: 'int',
    min: 1,
    valueName: '<N>',
    help: 'The release whose output to print (default: the live one)',
  },
  {
    name: 'timeout',
    type: 'duration',
    default: 5000,
    min: 1,
    help: 'Give up when the server does not answer in time',
  },
]);

export const logsCommand = defineCommand({
  name: 'logs',
  options: logsOptions,
  help: {
    usage: 'gitpaas logs [-f] [--release N] [--url <url>]',
    description:
      "Prints what a release's build and app wrote (stdout and stderr, one stamped line each, secrets\n" +
      'redacted), as a running `gitpaas up` keeps it: the last 20 releases, up to 1 MiB each. With -f it\n' +
      'keeps printing new lines until Ctrl-C; without --release it follows each new release as it starts.',
    examples: ['gitpaas logs -f', 'gitpaas logs --release 12', 'gitpaas logs -f --url http://10.0.0.5:9090'],
  },
  async run(values, _parsed, context) {
    const api = new Api(values.url, { readMs: values.timeout, actionMs: values.timeout });
    const query = new URLSearchParams();
    if (values.release !== undefined) query.set('release', String(values.release));
    if (values.follow) query.set('follow', '1');
    const stop = new AbortController();
    const abort = () => stop.abort();
    context.signal.addEventListener('abort', abort, { once: true });
    // Only the answer's head is timed: a followed log streams for as long as it is read.
    const timer = setTimeout(abort, values.timeout);
    try {
      const response = await api.stream(`logs${query.size ? `?${query}` : ''}`, stop.signal);
      clearTimeout(timer);
      if (!response.ok || !response.body) {
        const detail = (await response.text()).trim();
        throw new CliError(
          response.status === 404 ? 'E_USAGE' : 'E_STATUS_BAD_RESPONSE',
          `${api.base.origin}: ${detail || `GET /logs answered ${response.status}`}`,
        );
      }
      const decoder = new TextDecoder();
      for await (const chunk of response.body)
        context.terminal.out.write(decoder.decode(chunk, { stream: true }));
      return 0;
    } catch (error) {
      // Ctrl-C ends a followed log: that is how it is meant to stop.
      if (context.signal.aborted) return 0;
      if (stop.signal.aborted) {
        throw new CliError('E_STATUS_UNREACHABLE', `${api.base.origin} did not answer GET /logs in time`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', abort);
    }
  },
});
