// JSON value helpers shared by client and server.

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How deeply JSON documents may nest (objects and arrays, the outermost one included). */
export const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /\p{Surrogate}/u;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether JSON text nests deeper than MAX_JSON_DEPTH; one pass over the text, so it can be asked before parsing. */
export function jsonTextTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Why `value` cannot be stored and served as JSON text, or undefined: it nests deeper than MAX_JSON_DEPTH, or a
 * string or key holds a lone UTF-16 surrogate (which JSON.parse accepts as "\ud800", but UTF-8 cannot carry).
 */
export function jsonValueProblem(value: unknown): string | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { path, depth } = next;
    if (typeof next.value === 'string') {
      if (LONE_SURROGATE.test(next.value)) return surrogateProblem(path || 'the document');
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (depth === MAX_JSON_DEPTH) {
      return `${path.split(/[.[]/)[0]} nests deeper than ${MAX_JSON_DEPTH} levels (the limit)`;
    }
    const isArray = Array.isArray(next.value);
    for (const [key, child] of Object.entries(next.value)) {
      const childPath = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (!isArray && LONE_SURROGATE.test(key))
        return surrogateProblem(`the key ${JSON.stringify(key)} of ${path || 'the document'}`);
      pending.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}

function surrogateProblem(where: string): string {
  return `${where} is not valid Unicode: it holds a lone UTF-16 surrogate (such as "\\ud800"); send well-formed text`;
}
