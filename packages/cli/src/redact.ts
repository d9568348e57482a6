/** A URL without its password or token (`https://user:secret@host/x` → `https://user:***@host/x`). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0];
    return userinfo.includes(':') ? `${scheme}${user}:***@` : `${scheme}***@`;
  });
}
