// Colours only for people: on a TTY, unless NO_COLOR is set to a non-empty value (no-color.org), never with machine formats.
import pc from 'picocolors';
import { isMachineFormat, type OutputFormat } from './format.js';

export type Colors = ReturnType<typeof pc.createColors>;

export function colorsFor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  format: OutputFormat = 'table',
): Colors {
  const enabled = !!stream.isTTY && !env.NO_COLOR && !isMachineFormat(format);
  return pc.createColors(enabled);
}
