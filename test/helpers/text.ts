// Checks on what drg printed.

/** The control characters (C0 but the newline, DEL, and the bidi override U+202E) in `text`. */
export function controlCharacters(text: string): string[] {
  return [...text].filter((c) => (c.charCodeAt(0) < 0x20 && c !== '\n') || c === '\u007f' || c === '\u202e');
}
