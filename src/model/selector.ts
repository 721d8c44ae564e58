// Label selectors (docs/drogue-api.md, "Label selectors"), shared by the CLI (validation) and the server (filtering).
// Grammar: requirements separated by commas (AND); each one of
//   k=v | k==v | k!=v | k in (a,b) | k notin (a,b) | k | !k
// Keys and values follow the Kubernetes label syntax (./labels.ts). Whitespace around tokens is allowed.
import { labelKeyProblem, labelValueProblem } from './labels.js';

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

/** All requirements must hold; an empty selector matches everything. */
export type Selector = Requirement[];

export class SelectorError extends Error {}

/** The most requirements a selector may have: each is a condition of the SQL a listing runs. */
const MAX_SELECTOR_REQUIREMENTS = 100;

/** Characters that end a key or value token. */
const DELIMITER = /[\s!=,()]/;

export function parseSelector(text: string): Selector {
  return new Parser(text).parse();
}

export function matches(selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  return selector.every((r) => satisfies(r, labels ?? {}));
}

function satisfies(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.value;
    case 'neq':
      // docs/drogue-api.md: `!=` does not match objects lacking the label.
      return has && value !== r.value;
    case 'in':
      return has && r.values.includes(value);
    case 'notin':
      // docs/drogue-api.md: like `!=`, and unlike Kubernetes, `notin` does not match objects lacking the label.
      return has && !r.values.includes(value);
    case 'exists':
      return has;
    case 'absent':
      return !has;
  }
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): Selector {
    const selector: Selector = [];
    this.skipSpace();
    if (this.atEnd()) return selector;
    for (;;) {
      if (selector.length === MAX_SELECTOR_REQUIREMENTS) {
        throw new SelectorError(
          `the label selector has more than ${MAX_SELECTOR_REQUIREMENTS} requirements (the limit); use fewer, e.g. one "key in (a, b)" for several values of a key`,
        );
      }
      selector.push(this.requirement());
      this.skipSpace();
      if (this.atEnd()) return selector;
      this.expect(',');
    }
  }

  private requirement(): Requirement {
    this.skipSpace();
    if (this.eat('!')) {
      this.skipSpace();
      return { op: 'absent', key: this.key() };
    }
    const key = this.key();
    this.skipSpace();
    if (this.atEnd() || this.peek(',')) return { op: 'exists', key };
    if (this.eat('!=')) return { op: 'neq', key, value: this.value() };
    if (this.eat('==') || this.eat('=')) return { op: 'eq', key, value: this.value() };
    const word = this.token();
    if (word === 'in' || word === 'notin') return { op: word, key, values: this.valueSet() };
    throw this.error(`expected an operator (=, ==, !=, in, notin), ',' or the end after "${key}"`);
  }

  private key(): string {
    const key = this.token();
    if (key === '') throw this.error('expected a label key');
    const problem = labelKeyProblem(key);
    if (problem) throw this.error(problem);
    return key;
  }

  private value(): string {
    this.skipSpace();
    const value = this.token();
    const problem = labelValueProblem(value);
    if (problem) throw this.error(problem);
    return value;
  }

  private valueSet(): string[] {
    this.skipSpace();
    this.expect('(');
    const values: string[] = [];
    for (;;) {
      const value = this.value();
      if (value === '') throw this.error('expected a value in the set');
      values.push(value);
      this.skipSpace();
      if (this.eat(')')) return values;
      this.expect(',');
    }
  }

  /** Reads up to the next delimiter (possibly nothing). */
  private token(): string {
    const start = this.pos;
    while (!this.atEnd() && !DELIMITER.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  private expect(s: string): void {
    if (!this.eat(s)) throw this.error(`expected '${s}'`);
  }

  private error(message: string): SelectorError {
    const where = this.atEnd() ? 'at the end' : `at position ${this.pos + 1}`;
    return new SelectorError(`malformed label selector "${this.text}": ${message} (${where})`);
  }
}
