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

/**
 * True when a value reads as words joined the way code names things (camelCase, PascalCase,
 * snake_case, kebab-case, dotted member access) rather than random characters. Every word must
 * have at least two letters, which random strings rarely manage across a whole value.
 */
export function isIdentifierLike(value: string): boolean {
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) && !/[0-9]/.test(value)) return true;
  const camelOrPascal = /^[A-Za-z][a-z]+(?:[A-Z][a-z]+|[A-Z]{2,}(?![a-z])|[0-9]{1,3})*$/;
  if (camelOrPascal.test(value)) return true;
  const separatedWords = /^[A-Za-z][a-z]+(?:[_.-][A-Za-z][a-z]+|[_.-][0-9]{1,3})+$|^[A-Z][A-Z]+(?:[_.-][A-Z][A-Z]+|[_.-][0-9]{1,3})+$/;
  return separatedWords.test(value);
}
