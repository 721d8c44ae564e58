// Which proxy a request goes through, by the rules of Go's http.ProxyFromEnvironment (what kubectl and gh do):
// HTTPS_PROXY for https (and wss) URLs, HTTP_PROXY for http (and ws) URLs, NO_PROXY for exceptions, and never a
// proxy for `localhost` or a loopback address. https-proxy-agent (CONNECT tunnels) is imported only when needed.

import type { Agent } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { importEsm } from '../esm-import.js';

/**
 * The proxy the environment names for `url`, or undefined for a direct connection. Throws, without echoing the
 * value (it may hold credentials), when the variable names no proxy drg can use.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const name = secure ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const value = variable(env, name);
  if (value === undefined) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || (secure ? '443' : '80');
  if (!useProxy(host, port, variable(env, 'NO_PROXY') ?? '')) return undefined;
  return proxyUrl(name, value);
}

/**
 * The agent for a connection to `url` (a WebSocket client's, say): a CONNECT tunnel through the proxy the
 * environment names for it, or undefined (direct). Throws as proxyFor does.
 */
export async function agentFor(url: URL): Promise<Agent | undefined> {
  const proxy = proxyFor(url);
  return proxy && tunnelAgent(proxy);
}

/**
 * An agent whose connections are CONNECT tunnels through `proxy`, its credentials sent as `Proxy-Authorization`.
 * Aborting `signal` destroys the connection to the proxy, also while the proxy has not answered yet.
 */
export async function tunnelAgent(proxy: URL, signal?: AbortSignal): Promise<Agent> {
  const { HttpsProxyAgent } = await importEsm<typeof import('https-proxy-agent')>('https-proxy-agent');
  return new HttpsProxyAgent(proxy, { signal });
}

/** The `Proxy-Authorization` header for the credentials in a proxy URL, if it has any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

// As Go's getEnvAny: the upper-case variable wins; the lower-case one counts only when it is unset or empty.
function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name] || env[name.toLowerCase()] || undefined;
}

// As Go's parseProxy: a value that is not an http, https or socks5 URL is read as `http://value` (`proxy:3128`).
// Go ignores a value that does not parse; drg says so instead of silently connecting directly.
function proxyUrl(name: string, value: string): URL {
  const parse = (text: string) => (URL.canParse(text) ? new URL(text) : undefined);
  const url = parse(value);
  if (url?.protocol === 'http:' || url?.protocol === 'https:') return url;
  if (url?.protocol.startsWith('socks')) {
    throw new Error(`${name}: SOCKS proxies are not supported (use an http or https proxy)`);
  }
  const prefixed = parse(`http://${value}`);
  if (!prefixed) throw new Error(`${name} is not a proxy URL`);
  return prefixed;
}

function family(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 4 ? 'ipv4' : 'ipv6';
}

/** Go's useProxy: false for localhost, loopback addresses and hosts NO_PROXY names. */
function useProxy(host: string, port: string, noProxy: string): boolean {
  host = host.toLowerCase();
  const ip = isIP(host) !== 0;
  if (host === 'localhost' || (ip && (inRange(host, '127.0.0.0', 8) || inRange(host, '::1', 128)))) return false;
  return !noProxy.split(',').some((entry) => excludes(entry.trim().toLowerCase(), host, port, ip));
}

/**
 * Whether one NO_PROXY entry covers host:port. Entries as Go reads them: `*`; an IP range in CIDR notation; an IP
 * address, optionally with a port (`1.2.3.4:80`, `[::1]:80`); a domain name, optionally with a port, matching
 * itself and its subdomains (`example.com`), or only its subdomains with a leading dot (`.example.com`, `*.example.com`).
 */
function excludes(entry: string, host: string, port: string, ip: boolean): boolean {
  if (entry === '') return false;
  if (entry === '*') return true;
  const cidr = /^(.+)\/(\d+)$/.exec(entry);
  if (cidr && isIP(cidr[1]) !== 0) return ip && inRange(host, cidr[1], Number(cidr[2]));
  const [entryHost, entryPort] = splitHostPort(entry) ?? [entry, ''];
  if (entryHost === '' || (entryPort !== '' && entryPort !== port)) return false;
  if (isIP(entryHost) !== 0) return ip && inRange(host, entryHost, family(entryHost) === 'ipv4' ? 32 : 128);
  let domain = entryHost.startsWith('*.') ? entryHost.slice(1) : entryHost;
  const matchesItself = !domain.startsWith('.');
  if (matchesItself) domain = `.${domain}`;
  domain = domainToASCII(domain) || domain;
  return host.endsWith(domain) || (matchesItself && host === domain.slice(1));
}

function inRange(ip: string, network: string, prefix: number): boolean {
  const range = new BlockList();
  try {
    range.addSubnet(network, prefix, family(network));
  } catch {
    return false; // a prefix longer than the address: Go's ParseCIDR rejects it too
  }
  return range.check(ip, family(ip));
}

/** Go's net.SplitHostPort for `host:port` and `[v6]:port`; undefined when there is no port part. */
function splitHostPort(entry: string): [string, string] | undefined {
  const match = /^\[([^\]]*)\]:([^:]*)$/.exec(entry) ?? /^([^:[\]]*):([^:]*)$/.exec(entry);
  return match ? [match[1], match[2]] : undefined;
}
