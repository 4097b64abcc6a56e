/** One assignment from a `.env` file; `line` is where it starts, counting from 1. */
export interface DotenvEntry {
  name: string;
  value: string;
  line: number;
}

/** A line that could not be read; the message never quotes the value. */
export interface DotenvError {
  line: number;
  message: string;
}

export interface DotenvParseResult {
  entries: DotenvEntry[];
  errors: DotenvError[];
}

const assignmentPattern = /^(?:export\s+)?([^=\s]+)\s*=\s?(.*)$/;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const doubleQuoteEscapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

interface QuotedValue {
  value: string;
  /** Index of the line with the closing quote. */
  endLine: number;
  rest: string;
}

/**
 * Reads a quoted value that starts at `text` on line `start` and may continue over the following
 * lines. Double quotes take the escapes \n, \r, \t, \", \\ and \$; single quotes and backticks
 * take the text as it is. Returns null when the closing quote never comes.
 */
function readQuoted(lines: readonly string[], start: number, text: string): QuotedValue | null {
  const quote = text[0]!;
  let value = '';
  let lineIndex = start;
  let line = text.slice(1);

  for (;;) {
    for (let index = 0; index < line.length; index++) {
      const character = line[index]!;
      if (quote === '"' && character === '\\' && index + 1 < line.length) {
        const escaped = line[index + 1]!;
        value += doubleQuoteEscapes[escaped] ?? `\\${escaped}`;
        index++;
      } else if (character === quote) {
        return { value, endLine: lineIndex, rest: line.slice(index + 1) };
      } else {
        value += character;
      }
    }
    lineIndex++;
    if (lineIndex >= lines.length) return null;
    value += '\n';
    line = lines[lineIndex]!;
  }
}

/**
 * Parses the dotenv syntax in common use: `NAME=value`, an optional `export `, `#` comments on
 * their own line or after an unquoted value (preceded by a space), single, double and backtick
 * quotes, and quoted values over several lines. Every bad line is reported with its number, and
 * the good ones are returned. A name given twice keeps its last value, as dotenv loaders do.
 */
export function parseDotenv(text: string): DotenvParseResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries = new Map<string, DotenvEntry>();
  const errors: DotenvError[] = [];

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const trimmed = lines[index]!.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;

    const match = assignmentPattern.exec(trimmed);
    if (!match) {
      errors.push({ line: lineNumber, message: "not an assignment; write NAME=value (a comment starts with '#')" });
      continue;
    }
    const name = match[1]!;
    if (!namePattern.test(name)) {
      errors.push({ line: lineNumber, message: `'${name.slice(0, 60)}' is not a variable name; use letters, digits and '_', not starting with a digit` });
      continue;
    }

    const rawValue = match[2]!.trim();
    let value: string;
    if (rawValue.startsWith('"') || rawValue.startsWith("'") || rawValue.startsWith('`')) {
      const quoted = readQuoted(lines, index, rawValue);
      if (!quoted) {
        errors.push({ line: lineNumber, message: `${name}: the ${rawValue[0]} quote is never closed; close it or escape it` });
        continue;
      }
      const rest = quoted.rest.trim();
      index = quoted.endLine;
      if (rest !== '' && !rest.startsWith('#')) {
        errors.push({ line: lineNumber, message: `${name}: unexpected text after the closing quote; remove it or quote the whole value` });
        continue;
      }
      value = quoted.value;
    } else {
      const comment = rawValue.search(/\s#/);
      value = (comment >= 0 ? rawValue.slice(0, comment) : rawValue).trim();
    }

    if (value === '') {
      errors.push({ line: lineNumber, message: `${name}: the value is empty; give a value or remove the line` });
      continue;
    }
    entries.delete(name);
    entries.set(name, { name, value, line: lineNumber });
  }
  return { entries: [...entries.values()].sort((left, right) => left.line - right.line), errors };
}
