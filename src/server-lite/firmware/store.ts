// The local firmware store (docs/drogue-api.md, "Firmware store"): images of an application by name and version,
// immutable once pushed. The metadata is a row of the main store (migration 4); the bytes are the file
// <dataDir>/firmware/<sha256>, so that the same content is stored once. A push is streamed to a temp file while it
// is hashed and counted, fsync'd, renamed into place, and only then committed as a row: a crash leaves at most a
// temp file or a blob no row names, both removed on start. A blob no row names any longer (its last image deleted,
// its application gone: the rows go with it) is removed.
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageInfo } from '../../model/firmware.js';
import { imageNameProblem, imageVersionProblem } from '../../model/firmware-images.js';
import { formatByteSize } from '../../model/units.js';
import type { Caller } from '../registry/access.js';
import type { RegistryComponent } from '../registry/component.js';
import { badRequest, conflict, RegistryError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';
import type { Component } from '../runtime.js';
import type { StoreComponent } from '../store/component.js';
import type { Db } from '../store/db.js';

/** The default of `--max-firmware-size`. */
export const DEFAULT_MAX_FIRMWARE_SIZE = 64 * 1024 * 1024;

const BLOB = /^[0-9a-f]{64}$/;
const UPLOAD_PREFIX = '.upload-';

/** A push larger than the store takes (413). */
export class ImageTooLargeError extends Error {
  constructor(readonly maxSize: number) {
    super(`the image is larger than ${formatByteSize(maxSize)} (drg serve --max-firmware-size)`);
  }
}

export interface ImagePush {
  app: string;
  name: string;
  version: string;
  /** `sha256:<hex>`, as the client computed it: the bytes must match it. */
  checksum: string;
  /** The size the client declared (Content-Length), when it did: larger than the limit is refused before reading. */
  size?: number;
  body: Readable;
}

interface ImageRow {
  name: string;
  version: string;
  size: number;
  sha256: string;
  created: string;
}

function prepare(db: Db) {
  const columns = 'f.name, f.version, f.size, f.sha256, f.created';
  const byApp = 'firmware_images f JOIN applications a ON a.id = f.app_id WHERE a.name = ?';
  return {
    image: db.prepare<[string, string, string], ImageRow>(
      `SELECT ${columns} FROM ${byApp} AND f.name = ? AND f.version = ?`,
    ),
    newest: db.prepare<[string, string], ImageRow>(
      `SELECT ${columns} FROM ${byApp} AND f.name = ? ORDER BY f.id DESC LIMIT 1`,
    ),
    versions: db.prepare<[string, string], ImageRow>(
      `SELECT ${columns} FROM ${byApp} AND f.name = ? ORDER BY f.id DESC`,
    ),
    all: db.prepare<[string], ImageRow>(`SELECT ${columns} FROM ${byApp} ORDER BY f.name, f.id DESC`),
    appId: db.prepare<[string], number>('SELECT id FROM applications WHERE name = ?').pluck(),
    insert: db.prepare<[number, string, string, number, string, string]>(
      'INSERT INTO firmware_images (app_id, name, version, size, sha256, created) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    remove: db
      .prepare<[string, string, string], string>(
        `DELETE FROM firmware_images WHERE app_id = (SELECT id FROM applications WHERE name = ?)
         AND name = ? AND version = ? RETURNING sha256`,
      )
      .pluck(),
    referenced: db.prepare<[string], number>('SELECT 1 FROM firmware_images WHERE sha256 = ? LIMIT 1').pluck(),
  };
}

export class FirmwareStore {
  private readonly sql: ReturnType<typeof prepare>;
  /** Per blob, the end of the operations that create or remove it, run one after another. */
  private readonly blobTurns = new Map<string, Promise<void>>();

  constructor(
    db: Db,
    private readonly registry: Registry,
    /** `<dataDir>/firmware`, created. */
    private readonly dir: string,
    readonly maxSize: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.sql = prepare(db);
  }

  /** The image, or the newest pushed version of `name` when version is undefined; undefined if none. */
  info(app: string, name: string, version?: string): ImageInfo | undefined {
    const row = version === undefined ? this.sql.newest.get(app, name) : this.sql.image.get(app, name, version);
    return row && imageInfo(row);
  }

  /** The whole image (images are bounded by the size limit), its checksum verified. */
  async read(app: string, name: string, version: string): Promise<Buffer> {
    const row = this.sql.image.get(app, name, version);
    if (!row) throw imageNotFound(app, name, version);
    const data = await readFile(this.blobPath(row.sha256));
    if (createHash('sha256').update(data).digest('hex') !== row.sha256) {
      throw new Error(`firmware ${name} ${version} of application ${app}: the stored bytes do not match its checksum`);
    }
    return data;
  }

  /** The application's images, by name, then newest first; read access to the application. */
  list(caller: Caller, app: string): ImageInfo[] {
    this.registry.applications.get(caller, app);
    return this.sql.all.all(app).map(imageInfo);
  }

  /** The versions of `name`, newest first; NotFound when there are none. */
  versions(caller: Caller, app: string, name: string): ImageInfo[] {
    checkRef(name);
    this.registry.applications.get(caller, app);
    const rows = this.sql.versions.all(app, name);
    if (rows.length === 0) throw new RegistryError('NotFound', `no firmware "${name}" in application "${app}"`);
    return rows.map(imageInfo);
  }

  get(caller: Caller, app: string, name: string, version: string): ImageInfo {
    checkRef(name, version);
    this.registry.applications.get(caller, app);
    const info = this.info(app, name, version);
    if (!info) throw imageNotFound(app, name, version);
    return info;
  }

  /** The image's bytes as a stream (the file is open: a delete meanwhile does not cut it short). */
  async content(
    caller: Caller,
    app: string,
    name: string,
    version: string,
  ): Promise<{ info: ImageInfo; data: Readable }> {
    const info = this.get(caller, app, name, version);
    const file = await open(this.blobPath(hexOf(info.checksum)), 'r').catch((err: NodeJS.ErrnoException) => {
      // Deleted since it was read.
      throw err.code === 'ENOENT' ? imageNotFound(app, name, version) : err;
    });
    return { info, data: file.createReadStream() };
  }

  /**
   * Stores the image, or finds it stored already with the same checksum (`created` false). Access (manager, admin
   * or owner) and a conflicting image are checked before the body is read; the body must match `checksum` and
   * stay within the size limit, else nothing is kept.
   */
  async push(caller: Caller, push: ImagePush): Promise<{ info: ImageInfo; created: boolean }> {
    const { app, name, version, checksum } = push;
    checkRef(name, version);
    this.registry.applications.checkWrite(caller, app);
    if (push.size !== undefined && push.size > this.maxSize) throw new ImageTooLargeError(this.maxSize);
    const stored = this.info(app, name, version);
    if (stored) return { info: sameImage(stored, checksum, app), created: false };
    const upload = await this.receive(push.body, checksum);
    try {
      return await this.inTurn(upload.sha256, async () => {
        await rename(upload.path, this.blobPath(upload.sha256));
        await this.syncDir();
        try {
          return this.commit(caller, push, upload);
        } catch (err) {
          await this.forgetUnreferenced(upload.sha256);
          throw err;
        }
      });
    } finally {
      await rm(upload.path, { force: true });
    }
  }

  /** Deletes one image (manager, admin or owner), and its blob when no other image has the same content. */
  async delete(caller: Caller, app: string, name: string, version: string): Promise<void> {
    checkRef(name, version);
    this.registry.applications.checkWrite(caller, app);
    const sha256 = this.sql.remove.get(app, name, version);
    if (sha256 === undefined) throw imageNotFound(app, name, version);
    await this.inTurn(sha256, () => this.forgetUnreferenced(sha256));
  }

  /** Removes the blobs no image names (after an application went, and on start). */
  async collect(): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      if (BLOB.test(entry)) await this.inTurn(entry, () => this.forgetUnreferenced(entry));
    }
  }

  /** Removes what interrupted pushes left (on start, when none is running). */
  async removeUploads(): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      if (entry.startsWith(UPLOAD_PREFIX)) await rm(join(this.dir, entry), { force: true });
    }
  }

  /** The body into a temp file (0600, fsync'd), hashed and counted as it streams; removed unless it is the image. */
  private async receive(body: Readable, checksum: string): Promise<{ path: string; size: number; sha256: string }> {
    const path = join(this.dir, `${UPLOAD_PREFIX}${randomUUID()}`);
    const hash = createHash('sha256');
    let size = 0;
    const { maxSize } = this;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        size += chunk.length;
        if (size > maxSize) return next(new ImageTooLargeError(maxSize));
        hash.update(chunk);
        next(null, chunk);
      },
    });
    // The request is the client's: a failure here must not destroy it (the answer still goes out on it).
    const stopWatching = finished(body, (err) => {
      if (err) meter.destroy(badRequest('the upload ended before the whole image arrived: nothing was stored'));
    });
    body.pipe(meter);
    try {
      await pipeline(meter, createWriteStream(path, { flags: 'wx', mode: 0o600, flush: true }));
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    } finally {
      stopWatching();
      body.unpipe(meter);
    }
    const sha256 = hash.digest('hex');
    const problem =
      size === 0
        ? 'the image is empty'
        : `sha256:${sha256}` !== checksum
          ? `the image's checksum is sha256:${sha256}, not the x-checksum sent (${checksum})`
          : undefined;
    if (problem) {
      await rm(path, { force: true });
      throw badRequest(`${problem}: nothing was stored`);
    }
    return { path, size, sha256 };
  }

  /** The row, in one transaction that checks again what may have changed while the body arrived. */
  private commit(caller: Caller, push: ImagePush, upload: { size: number; sha256: string }) {
    const { app, name, version, checksum } = push;
    this.registry.applications.checkWrite(caller, app);
    const stored = this.info(app, name, version);
    if (stored) return { info: sameImage(stored, checksum, app), created: false };
    const created = this.now().toISOString();
    this.sql.insert.run(this.sql.appId.get(app)!, name, version, upload.size, upload.sha256, created);
    return { info: imageInfo({ name, version, size: upload.size, sha256: upload.sha256, created }), created: true };
  }

  /** Removes the blob unless an image names it; in its turn, so that no push is renaming it into place meanwhile. */
  private async forgetUnreferenced(sha256: string): Promise<void> {
    if (this.sql.referenced.get(sha256) === undefined) await rm(this.blobPath(sha256), { force: true });
  }

  /** Runs `fn` after the operations on the same blob started before it. */
  private inTurn<T>(sha256: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.blobTurns.get(sha256) ?? Promise.resolve();
    const result = previous.then(fn);
    const turn = result.then(
      () => {},
      () => {},
    );
    this.blobTurns.set(sha256, turn);
    turn.then(() => {
      if (this.blobTurns.get(sha256) === turn) this.blobTurns.delete(sha256);
    });
    return result;
  }

  /** A rename is durable once the directory is synced. */
  private async syncDir(): Promise<void> {
    let dir: FileHandle | undefined;
    try {
      dir = await open(this.dir, 'r');
      await dir.sync();
    } finally {
      await dir?.close();
    }
  }

  private blobPath(sha256: string): string {
    return join(this.dir, sha256);
  }
}

/** The store as a component of drg serve, after the registry: `firmware.store`. */
export class FirmwareStoreComponent implements Component {
  readonly name = 'firmware-store';
  private current?: FirmwareStore;
  private unsubscribe?: () => void;
  private collecting?: Promise<void>;
  private collectAgain = false;

  constructor(
    private readonly db: StoreComponent,
    private readonly registry: RegistryComponent,
    private readonly options: { dataDir: string; maxSize?: number },
  ) {}

  get store(): FirmwareStore {
    if (!this.current) throw new Error('the firmware store has not started');
    return this.current;
  }

  async start(): Promise<void> {
    const dir = join(this.options.dataDir, 'firmware');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const { registry } = this.registry;
    const store = new FirmwareStore(this.db.db, registry, dir, this.options.maxSize ?? DEFAULT_MAX_FIRMWARE_SIZE);
    await store.removeUploads();
    await store.collect();
    this.current = store;
    this.unsubscribe = registry.events.subscribe('firmware-store', (event) => {
      if (event.kind === 'application' && event.operation === 'deleted') return this.collect();
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.collecting?.catch(() => {});
    this.current = undefined;
  }

  /** One collection at a time; deletions during one get another after it. */
  private collect(): Promise<void> {
    if (this.collecting) {
      this.collectAgain = true;
      return this.collecting;
    }
    const store = this.store;
    this.collecting = (async () => {
      do {
        this.collectAgain = false;
        await store.collect();
      } while (this.collectAgain);
    })().finally(() => {
      this.collecting = undefined;
    });
    return this.collecting;
  }
}

function checkRef(name: string, version?: string): void {
  const problem = imageNameProblem(name) ?? (version === undefined ? undefined : imageVersionProblem(version));
  if (problem) throw badRequest(problem);
}

/** The stored image when the push has its checksum; else the push conflicts with it. */
function sameImage(stored: ImageInfo, checksum: string, app: string): ImageInfo {
  if (stored.checksum === checksum) return stored;
  throw conflict(
    `firmware "${stored.name}" version "${stored.version}" of application "${app}" exists with other content (${stored.checksum}): images are immutable, push a new version`,
  );
}

function imageNotFound(app: string, name: string, version: string): RegistryError {
  return new RegistryError('NotFound', `no firmware "${name}" version "${version}" in application "${app}"`);
}

function imageInfo(row: ImageRow): ImageInfo {
  return {
    name: row.name,
    version: row.version,
    size: row.size,
    checksum: `sha256:${row.sha256}`,
    created: row.created,
  };
}

function hexOf(checksum: string): string {
  return checksum.slice('sha256:'.length);
}
