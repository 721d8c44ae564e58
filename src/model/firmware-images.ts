// The local firmware store's rules (docs/drogue-api.md, "Firmware store"), checked by drg serve and, before any
// request, by the CLI.

/** Printable ASCII without space, `/` and `\`: a name or version is one path segment, the same in every shell. */
const IMAGE_WORD = /^[\x21-\x2e\x30-\x5b\x5d-\x7e]+$/;
const MAX_IMAGE_WORD = 128;

/** `sha256:` and 64 lower-case hex digits: how an image's checksum is written (ImageInfo, `x-checksum`). */
export const CHECKSUM_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** The header of a push that carries the image's checksum, and of the content's answer. */
export const CHECKSUM_HEADER = 'x-checksum';

/** Why `name` is not an image name, or undefined when it is. */
export function imageNameProblem(name: string): string | undefined {
  return wordProblem('firmware name', name);
}

/** Why `version` is not an image version, or undefined when it is. */
export function imageVersionProblem(version: string): string | undefined {
  return wordProblem('firmware version', version);
}

function wordProblem(what: string, value: string): string | undefined {
  if (value === '') return `the ${what} must not be empty`;
  if (value.length > MAX_IMAGE_WORD) return `the ${what} is longer than ${MAX_IMAGE_WORD} characters`;
  if (value === '.' || value === '..') return `the ${what} must not be "${value}"`;
  if (!IMAGE_WORD.test(value)) {
    return `the ${what} ${JSON.stringify(value)} is invalid: use printable ASCII characters other than space, / and \\`;
  }
  return undefined;
}
