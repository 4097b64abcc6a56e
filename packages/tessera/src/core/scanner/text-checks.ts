/** Returns the Shannon entropy of `text` in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const probability = count / text.length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

// Words that documentation and sample configs put where a real secret would go.
const placeholderWords =
  /example|sample|placeholder|dummy|changeme|change_me|redacted|your[_-]?(?:api|secret|token|key|own|password)|insert|replace|fixme|todo/i;

/**
 * True when a matched value is a stand-in rather than a secret: `...`, `xxxx`, `<your-key>`,
 * `${VAR}`, `EXAMPLE`, `****`, or a long run of one character or a counting sequence.
 */
export function isPlaceholder(value: string): boolean {
  if (value.includes('...') || value.includes('…')) return true;
  if (/[xX*#]{4}/.test(value)) return true;
  if (/^<.*>$|^\$\{.*\}$|^\{\{.*\}\}$|^%.*%$/.test(value)) return true;
  if (placeholderWords.test(value)) return true;
  if (/(.)\1{5}/.test(value)) return true;
  return /0123456|1234567|abcdefg|ABCDEFG/.test(value);
}

const wordPattern = /[A-Z]{2,}(?=[A-Z][a-z]|[0-9]|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g;

/**
 * True for a piece of a name: a number of up to 4 digits, or a word of 2+ letters with a vowel
 * once it has 5 ("Http" has none). A one-letter word may start a name (v4Signer, eTag, a whole
 * name in minified code) or come before a number (V2, v1).
 */
function isNameWord(word: string, index: number, words: string[]): boolean {
  if (/^[0-9]+$/.test(word)) return word.length <= 4;
  if (word.length < 2) return index === 0 || /^[0-9]/.test(words[index + 1] ?? '');
  return word.length < 5 || /[aeiouyAEIOUY]/.test(word);
}

/** True when one name (no dots) splits into name words: camelCase, PascalCase, snake_case, kebab-case, acronyms. */
function isNameLike(name: string): boolean {
  // Bundlers rename clashing names to name$1 and join generated ones with $; leading underscores mark private names.
  const core = name.replace(/^_+/, '').replace(/(?:\$\d*)+$/, '');
  if (!/^[A-Za-z][A-Za-z0-9_$-]*$/.test(core)) return false;
  const words = core.split(/[_$-]+/).flatMap((part) => part.match(wordPattern) ?? []);
  return words.length > 0 && words.every(isNameWord);
}

/**
 * True when a value reads as code rather than random characters: a name or a dotted member access
 * (`this.config.password`, `_index.TokenContext.normal`), or a union of them
 * (`Buffer|Uint8Array|string`). Random strings rarely split into words of two or more letters
 * that each have a vowel.
 */
export function isIdentifierLike(value: string): boolean {
  const operands = value.split(/[|&]+/).filter((operand) => operand !== '');
  return operands.length > 0 && operands.every((operand) => operand.split(/\??\./).every(isNameLike));
}
