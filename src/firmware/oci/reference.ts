// Image references as docker reads them: `[registry/]repository[:tag][@sha256:digest]`. The first component is the
// registry when it has a dot or a colon, is `localhost`, or has upper-case letters; else the image is Docker Hub's
// (`docker.io`, `library/` before a one-component name), whose API is at registry-1.docker.io.
import { OciError } from './errors.js';

export interface ImageReference {
  /** The registry as written (`ghcr.io`, `localhost:5000`), or `docker.io`. */
  registry: string;
  repository: string;
  /** `latest` when neither a tag nor a digest is given. */
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const REGISTRY = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_{1,2}|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME = 255;

export function parseReference(ref: string): ImageReference {
  const bad = (why: string) =>
    new OciError(`invalid image reference ${JSON.stringify(ref)}: ${why}`, {
      code: 'reference',
      hint: 'write it as REGISTRY/REPOSITORY:TAG, e.g. ghcr.io/org/firmware:1.0.0',
    });
  const at = ref.indexOf('@');
  const named = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  if (digest !== undefined && !SHA256_DIGEST.test(digest)) {
    throw bad(
      digest.startsWith('sha256:') ? 'a digest is sha256: and 64 hex digits' : 'only sha256 digests are supported',
    );
  }
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const name = colon > slash ? named.slice(0, colon) : named;
  const tag = colon > slash ? named.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) throw bad(`the tag ${JSON.stringify(tag)} is not a valid tag`);

  const first = name.indexOf('/');
  const head = first === -1 ? '' : name.slice(0, first);
  const isRegistry = /[.:]/.test(head) || head === 'localhost' || (head !== '' && head !== head.toLowerCase());
  const registry = isRegistry ? head : DOCKER_HUB;
  let repository = isRegistry ? name.slice(first + 1) : name;
  if (!isRegistry && !repository.includes('/')) repository = `library/${repository}`;
  if (isRegistry && !REGISTRY.test(registry)) throw bad(`${JSON.stringify(registry)} is not a registry host`);
  if (repository === '' || !repository.split('/').every((c) => COMPONENT.test(c))) {
    throw bad('a repository is lower-case letters, digits and separators (. _ -), its parts joined by /');
  }
  if (name.length > MAX_NAME) throw bad(`longer than ${MAX_NAME} characters`);
  return { registry, repository, tag: tag ?? (digest ? undefined : 'latest'), digest };
}

/** `registry/repository:tag` (or `@digest`): one spelling for every way of writing the same image. */
export function formatReference({ registry, repository, tag, digest }: ImageReference): string {
  return `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** The host the registry's API answers on. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** Loopback registries speak plain http, as docker assumes for them. */
export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}
