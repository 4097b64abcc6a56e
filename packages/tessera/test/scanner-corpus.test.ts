import { describe, expect, test } from 'vitest';
import { builtinRules } from '../src/core/scanner/builtin-rules.js';
import { compileRules } from '../src/core/scanner/compile-rules.js';
import { scanText } from '../src/core/scanner/engine.js';
import { computeChecksum, generateToken } from '../src/core/token-format.js';
import { buildCorpus } from './fixtures/scanner/corpus.js';

// The labelled corpus: every built-in rule must find all of its generated fakes, report nothing
// else in them, and report nothing in the look-alikes. bench/scan-corpus.js prints the same
// numbers per rule as a table.

const rules = compileRules();
const corpus = buildCorpus({ tesseraToken: (prefix) => generateToken(prefix), checksum: computeChecksum });

describe('scanner corpus', () => {
  test('covers every built-in rule', () => {
    const covered = new Set(corpus.positives.map((positive) => positive.ruleId));
    expect(builtinRules.map((rule) => rule.id).filter((id) => !covered.has(id))).toEqual([]);
    expect(builtinRules.length).toBeGreaterThanOrEqual(41);
  });

  test.each(corpus.positives.map((positive) => [positive.ruleId, positive.text.slice(0, 60), positive] as const))('%s finds %s', (ruleId, _label, positive) => {
    const { findings } = scanText(positive.text, { rules });
    expect(findings.map((finding) => finding.ruleId)).toEqual([ruleId]);
    if (positive.secret !== null) expect(findings[0]!.secret).toBe(positive.secret);
  });

  test.each(corpus.lookalikes.map((lookalike) => [lookalike.kind, lookalike.text] as const))('look-alike not reported: %s', (_kind, text) => {
    expect(scanText(text, { rules }).findings).toEqual([]);
  });

  test('tessera tokens have full recall under many seeds', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const seeded = buildCorpus({ tesseraToken: (prefix) => generateToken(prefix), checksum: computeChecksum, seed });
      for (const positive of seeded.positives.filter((entry) => entry.ruleId === 'tessera-token')) {
        const findings = scanText(positive.text, { rules }).findings;
        expect(findings).toHaveLength(1);
        expect(findings[0]!.confidence).toBe('checksum');
      }
    }
  });
});
