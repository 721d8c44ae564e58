// The worker thread of the password pool (password-pool.ts): bcrypt, which takes ~70 ms of CPU a call at cost 10.
// Built to dist/password-worker.cjs, beside the bundle that starts the pool.
import bcrypt from 'bcryptjs';

export type PasswordTask =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string };

export default function run(task: PasswordTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
}
