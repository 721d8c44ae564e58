// The `-o/--output` formats, validated before any request.
import { UsageError } from './errors.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name'];

/** `undefined` (no `-o`) is the default table. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format ${JSON.stringify(value)}: use one of ${OUTPUT_FORMATS.join(', ')}`);
}

/** Formats whose stdout is for programs: no colours, no extra lines. */
export function isMachineFormat(format: OutputFormat): boolean {
  return format === 'json' || format === 'yaml' || format === 'name';
}

/**
 * Whether `-o json` was asked for, read from raw argv: used to report failures that happen before or while
 * commander parses (so even a usage error becomes a JSON document).
 */
export function argvWantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return false;
    if ((arg === '-o' || arg === '--output') && argv[i + 1] === 'json') return true;
    if (arg === '-ojson' || arg === '--output=json') return true;
  }
  return false;
}
