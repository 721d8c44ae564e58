// The `-o/--output` formats, validated before any request.
import { UsageError } from '../errors.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name'];

/** `undefined` (no `-o`) is the default table. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format ${JSON.stringify(value)}: use one of ${OUTPUT_FORMATS.join(', ')}`);
}

/** Formats whose stdout is one document: the data, or an outcome `{"status": ...}`. */
export function isDocumentFormat(format: OutputFormat): format is 'json' | 'yaml' {
  return format === 'json' || format === 'yaml';
}

/** Formats whose stdout is for programs: no colours, no extra lines. */
export function isMachineFormat(format: OutputFormat): boolean {
  return isDocumentFormat(format) || format === 'name';
}

/**
 * The document format (`json` or `yaml`) asked for with `-o`, read from raw argv: failures that happen before
 * or while commander parses are reported in it too (so even a usage error becomes a document).
 */
export function argvDocumentFormat(argv: readonly string[]): 'json' | 'yaml' | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return undefined;
    const value =
      arg === '-o' || arg === '--output'
        ? argv[i + 1]
        : arg.startsWith('--output=')
          ? arg.slice('--output='.length)
          : arg.startsWith('-o') && arg.length > 2
            ? arg.slice(2).replace(/^=/, '')
            : undefined;
    if (value === 'json' || value === 'yaml') return value;
  }
  return undefined;
}
