// Loads what a path answers, again on reload() or when the path changes; stale answers of an older path are dropped.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './client.js';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** `load` defaults to GET `path`; pass undefined as path to load nothing (yet). */
export function useResource<T>(path: string | undefined, load: () => Promise<T> = () => api.get<T>(path!)): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: path !== undefined });
  const [version, setVersion] = useState(0);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const loadedPath = useRef(path);
  useEffect(() => {
    if (path === undefined) return;
    const ticket = ++latest.current;
    // A reload keeps showing what it replaces; another path does not.
    const same = loadedPath.current === path;
    loadedPath.current = path;
    setState((s) => ({ data: same ? s.data : undefined, loading: true }));
    loader.current().then(
      (data) => ticket === latest.current && setState({ data, loading: false }),
      (error) => ticket === latest.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [path, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { ...state, reload };
}
