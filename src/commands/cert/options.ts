// Key options of `create app-cert|device-cert` (drg 0.11's flags, plus --force).
import { option } from '../../cli/command.js';

export function keyOptions(defaultDays: number) {
  return {
    algo: option.string(
      '--algo <algorithm>',
      "key algorithm: ECDSA (P-256), EdDSA (Ed25519) or RSA (2048 bits); default: the context's default_algo, else ECDSA",
    ),
    days: option.string('--days <days>', `validity in days (default ${defaultDays})`),
    keyInput: option.string(
      '--key-input <file>',
      'use this private key (PEM, or DER PKCS#8) instead of generating one',
    ),
    force: option.boolean('--force', 'overwrite output files that exist'),
  } as const;
}
