// Colours only for people: on a TTY, unless NO_COLOR is set to a non-empty value (no-color.org), never with machine
// formats. The four styles drg uses, by hand: picocolors looks at process.stdout when it loads, which creates the
// stream, a few ms of every start.
import { isMachineFormat, type OutputFormat } from './format.js';

export interface Colors {
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const style = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const COLORS: Colors = { red: style(31, 39), yellow: style(33, 39), dim: style(2, 22), bold: style(1, 22) };
const plain = (text: string) => text;
const NO_COLORS: Colors = { red: plain, yellow: plain, dim: plain, bold: plain };

export function colorsFor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  format: OutputFormat = 'table',
): Colors {
  return stream.isTTY && !env.NO_COLOR && !isMachineFormat(format) ? COLORS : NO_COLORS;
}
