import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { getText } from './http.js';

/** A secret planted in one place, and the forms it could leak in (as given, URL-encoded, in a Basic header). */
export interface Planted {
  where: string;
  value: string;
  forms: string[];
}

export function plant(where: string, value: string, user?: string): Planted {
  const forms = new Set([value, encodeURIComponent(value)]);
  if (user) forms.add(Buffer.from(`${user}:${value}`).toString('base64'));
  return { where, value, forms: [...forms] };
}

/** One output channel's text: a bin's output, an HTTP answer, a file. */
export interface Channel {
  name: string;
  text: string;
}

/** Bytes of each planted secret found in each channel (a form found counts the secret's length). */
export function leaks(
  channels: Channel[],
  planted: Planted[],
): Array<{ where: string; channel: string; bytes: number }> {
  const found: Array<{ where: string; channel: string; bytes: number }> = [];
  for (const channel of channels) {
    for (const secret of planted) {
      let count = 0;
      for (const form of secret.forms) count += channel.text.split(form).length - 1;
      if (count)
        found.push({ where: secret.where, channel: channel.name, bytes: count * secret.value.length });
    }
  }
  return found;
}

/** GETs each URL as a channel (a failed request is a channel holding its error). */
export async function httpChannels(urls: string[]): Promise<Channel[]> {
  return Promise.all(
    urls.map(async (url) => {
      try {
        return { name: `GET ${url}`, text: (await getText(url)).text };
      } catch (error) {
        return { name: `GET ${url}`, text: String(error) };
      }
    }),
  );
}

/** Every file under `path` (or the file itself) as a channel; a missing path is none. */
export async function fileChannels(path: string): Promise<Channel[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    return [];
  }
  if (info.isFile()) return [{ name: path, text: await readFile(path, 'latin1') }];
  if (!info.isDirectory()) return [];
  const channels: Channel[] = [];
  for (const name of await readdir(path)) channels.push(...(await fileChannels(join(path, name))));
  return channels;
}
