// Colours only for people: on a TTY, without NO_COLOR, and never with machine formats.
import pc from 'picocolors';
import { isMachineFormat, type OutputFormat } from './format.js';

export type Colors = ReturnType<typeof pc.createColors>;

export function colorsFor(stream: NodeJS.WriteStream, format: OutputFormat = 'table'): Colors {
  const enabled = !!stream.isTTY && !('NO_COLOR' in process.env) && !isMachineFormat(format);
  return pc.createColors(enabled);
}
