/** String literals joined with `+`, laid end to end, with a way back to where each chain sits in the source. */
export interface JoinedLiterals {
  text: string;
  /** The source span of the chain that produced the joined text at `offset`. */
  chainAt(offset: number): { start: number; end: number };
}

// One quoted literal without escapes or line breaks; bounded so a long line stays linear.
const literal = String.raw`(?:"[^"\\\n]{0,400}"|'[^'\\\n]{0,400}'|\x60[^\x60\\\n$]{0,400}\x60)`;
const chainPattern = new RegExp(`${literal}(?:\\s{0,40}\\+\\s{0,40}${literal}){1,20}`, 'g');
const literalPattern = new RegExp(literal, 'g');

/**
 * Finds chains such as `"ghp_abc" + "def…"` and joins each one's literals, so that a token split
 * to dodge a scanner is still found. Returns null when the text has no chain. Each joined chain
 * sits on a line of its own in the result.
 */
export function joinConcatenatedLiterals(text: string): JoinedLiterals | null {
  if (!text.includes('+')) return null;

  const pieces: string[] = [];
  const chains: { joinedStart: number; start: number; end: number }[] = [];
  let length = 0;
  chainPattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = chainPattern.exec(text)) !== null) {
    const joined = (match[0].match(literalPattern) ?? []).map((quoted) => quoted.slice(1, -1)).join('');
    // Short chains cannot hold a secret; skipping them keeps minified code cheap.
    if (joined.length < 16) continue;
    chains.push({ joinedStart: length, start: match.index, end: match.index + match[0].length });
    pieces.push(joined);
    length += joined.length + 1;
  }
  if (chains.length === 0) return null;

  return {
    text: pieces.join('\n'),
    chainAt(offset: number) {
      let low = 0;
      let high = chains.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (chains[middle]!.joinedStart <= offset) low = middle;
        else high = middle - 1;
      }
      const chain = chains[low]!;
      return { start: chain.start, end: chain.end };
    },
  };
}
