// Text from servers and other users (names, labels, messages) reaches a terminal only escaped, as kubectl does:
// a device named with escape sequences must not clear the screen, set the window title or forge a table row.
// Control characters (C0, DEL, C1) and the Unicode bidirectional controls become visible `\xNN` / `\uNNNN`.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** For one-line places (table cells, `kind/name` lines): every control character escaped, newlines too. */
export function escapeInline(text: string): string {
  return text.replace(CONTROLS, visible);
}

/** For messages of several lines: control characters escaped, line breaks kept. */
export function escapeText(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, visible);
}
