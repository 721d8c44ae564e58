// Certificates made by openssl (a peer nobody here wrote), for tests of what drg and drg serve make of them.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCert {
  pem: string;
  key: string;
  subject: string;
  notBefore: string;
  notAfter: string;
}

/**
 * A self-signed CA made by openssl; the expected fields come from the -subj given and openssl's own dates.
 * `extension` is one more (`-addext`), e.g. `subjectAltName=DNS:host` for a server's certificate.
 */
export function opensslCa(
  dir: string,
  name: string,
  rdns: [string, string][],
  days: number,
  extension?: string,
): TestCert {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const subj = rdns.map(([k, v]) => `/${k}=${v}`).join('');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      subj,
      ...(extension ? ['-addext', extension] : []),
      '-days',
      String(days),
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  const dates = execFileSync('openssl', [
    'x509',
    '-in',
    certFile,
    '-noout',
    '-startdate',
    '-enddate',
    '-dateopt',
    'iso_8601',
  ]).toString();
  const date = (field: string) =>
    dates
      .match(new RegExp(`${field}=(\\S+) (\\S+)`))!
      .slice(1)
      .join('T');
  return {
    pem: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    subject: rdns.map(([k, v]) => `${k}=${v}`).join(', '),
    notBefore: date('notBefore'),
    notAfter: date('notAfter'),
  };
}

/** A client certificate for `rdns`, signed by `ca` with openssl (`x509 -req`); its key and PEM files are in `dir`. */
export function opensslClientCert(
  dir: string,
  name: string,
  ca: TestCert,
  rdns: [string, string][],
  days = 30,
): TestCert & { certFile: string; keyFile: string } {
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const caCert = join(dir, `${name}-ca.crt`);
  const caKey = join(dir, `${name}-ca.key`);
  writeFileSync(caCert, ca.pem);
  writeFileSync(caKey, ca.key, { mode: 0o600 });
  const subj = rdns.map(([k, v]) => `/${k}=${v}`).join('');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subj].concat([
      '-keyout',
      keyFile,
      '-out',
      csrFile,
    ]),
  );
  run(
    ['x509', '-req', '-in', csrFile, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', String(days)].concat([
      '-out',
      certFile,
    ]),
  );
  return {
    pem: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    subject: rdns.map(([k, v]) => `${k}=${v}`).join(', '),
    notBefore: '',
    notAfter: '',
    certFile,
    keyFile,
  };
}
