// Direct registry calls with the active context of a drg config (the one `drg serve` wrote), so e2e tests
// can set up and inspect state without going through the commands under test.
import { request as httpRequest } from 'node:http';
import { pathSegment } from '../../src/client/http.js';
import type { Resource } from '../../src/model/resource.js';
import { activeContext, contextAuthorization } from './config.js';

export interface ContextApi {
  url: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  getApp(app: string): Promise<Resource | undefined>;
  getDevice(app: string, device: string): Promise<Resource | undefined>;
  createApp(app: Resource): Promise<void>;
  createDevice(app: string, device: Resource): Promise<void>;
}

const REGISTRY = '/api/registry/v1alpha1';

/** Calls with the active context of the config at `config.configPath`, read on first use (after drg serve wrote it). */
export function contextApi(config: { readonly configPath: string }): ContextApi {
  let context: { url: string; authorization: string } | undefined;
  const active = () => {
    if (!context) {
      const ctx = activeContext(config.configPath);
      context = { url: ctx.drogue_cloud_url, authorization: contextAuthorization(ctx) };
    }
    return context;
  };
  // node:http, not fetch: fetch resolves `.` and `..` segments (even percent-encoded ones) away.
  const request = (method: string, path: string, body?: unknown) => {
    const { url, authorization } = active();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = httpRequest(
        new URL(url),
        {
          method,
          path,
          headers: { authorization, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };
  const get = async (path: string) => {
    const res = await request('GET', path);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Resource;
  };
  const create = async (path: string, body: Resource) => {
    const res = await request('POST', path, body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const app = (name: string) => `${REGISTRY}/apps/${pathSegment(name)}`;
  return {
    get url() {
      return active().url;
    },
    request,
    getApp: (name) => get(app(name)),
    getDevice: (a, d) => get(`${app(a)}/devices/${pathSegment(d)}`),
    createApp: (body) => create(`${REGISTRY}/apps`, body),
    createDevice: (a, body) => create(`${app(a)}/devices`, body),
  };
}
