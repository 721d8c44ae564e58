// The cluster address `drg login` is given.
import { UsageError } from '../errors.js';

/**
 * `https://host[:port][/path]`; a bare host means https (as drg 0.11). No trailing slash. A URL holding credentials
 * is refused before anything else, so that no message repeats them.
 */
export function parseClusterUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    // Not repeated: unparsable text may still hold a password.
    throw new UsageError('the cluster address is not a URL', 'example: drg login https://api.drogue.example.com');
  }
  if (url.username || url.password) throw new UsageError('the URL must not contain credentials: use --access-token');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`"${text}" is not an http(s) URL`);
  return url.toString().replace(/\/+$/, '');
}
