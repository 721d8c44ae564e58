// curl, an HTTP client nobody here wrote, as a device or a TLS client of drg serve.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type CurlResult = { status: number; body: string } | { exit: number; stderr: string };

/** curl's status and body; a curl that fails (a TLS handshake refused, say) resolves with its exit code instead. */
export async function curl(args: string[]): Promise<CurlResult> {
  try {
    const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
    const split = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(split + 1)), body: stdout.slice(0, split) };
  } catch (err) {
    const failed = err as { code: number; stderr: string };
    return { exit: failed.code, stderr: failed.stderr };
  }
}
