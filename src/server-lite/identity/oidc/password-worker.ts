// The worker thread of the password pool (password-pool.ts): bcrypt, which takes ~70 ms of CPU a call at cost 10,
// and sha512-crypt (devices' `{"sha512": "$6$..."}` passwords), a few ms at its default 5000 rounds.
// Built to dist/password-worker.cjs, beside the bundle that starts the pool.
import bcrypt from 'bcryptjs';

export type PasswordTask =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string }
  | { op: 'compare-sha512-crypt'; password: string; hash: string };

/** unixcrypt is ESM only, and this worker is CommonJS (built, or through tsx's require hook): imported on first use. */
let unixcrypt: Promise<typeof import('unixcrypt')> | undefined;

export default function run(task: PasswordTask): string | boolean | Promise<boolean> {
  switch (task.op) {
    case 'hash':
      return bcrypt.hashSync(task.password, task.cost);
    case 'compare':
      return bcrypt.compareSync(task.password, task.hash);
    case 'compare-sha512-crypt':
      unixcrypt ??= import('unixcrypt');
      return unixcrypt.then(({ verify }) => verify(task.password, task.hash));
  }
}
