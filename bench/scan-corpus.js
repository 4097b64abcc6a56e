// Recall and precision of every scanner rule on the labelled corpus, as a table.
// Run after `npm run build`: node bench/scan-corpus.js [--seed N]
import { buildCorpus } from '../packages/tessera/test/fixtures/scanner/corpus.js';
import { builtinRules } from '../packages/tessera/dist/core/scanner/builtin-rules.js';
import { compileRules } from '../packages/tessera/dist/core/scanner/compile-rules.js';
import { scanText } from '../packages/tessera/dist/core/scanner/engine.js';
import { computeChecksum, generateToken } from '../packages/tessera/dist/core/token-format.js';

const seedIndex = process.argv.indexOf('--seed');
const seed = seedIndex > 0 ? Number(process.argv[seedIndex + 1]) : undefined;
const rules = compileRules();
const corpus = buildCorpus({ tesseraToken: (prefix) => generateToken(prefix), checksum: computeChecksum, seed });

// Per rule: true positives, false negatives (missed) and false positives (reported where the label is another rule or none).
const counts = new Map(builtinRules.map((rule) => [rule.id, { truePositives: 0, falseNegatives: 0, falsePositives: 0 }]));

for (const positive of corpus.positives) {
  const { findings } = scanText(positive.text, { rules });
  const hit = findings.find((finding) => finding.ruleId === positive.ruleId && (positive.secret === null || finding.secret === positive.secret));
  const entry = counts.get(positive.ruleId);
  if (hit) entry.truePositives++;
  else entry.falseNegatives++;
  for (const other of findings) if (other !== hit) counts.get(other.ruleId).falsePositives++;
}
for (const lookalike of corpus.lookalikes) {
  for (const finding of scanText(lookalike.text, { rules }).findings) {
    counts.get(finding.ruleId).falsePositives++;
    process.stdout.write(`false positive: ${finding.ruleId} on "${lookalike.kind}"\n`);
  }
}

const percent = (numerator, denominator) => (denominator === 0 ? '-' : `${((100 * numerator) / denominator).toFixed(1)}%`);
process.stdout.write(`| rule | cases | recall | precision | false positives |\n| --- | ---: | ---: | ---: | ---: |\n`);
let totals = { truePositives: 0, falseNegatives: 0, falsePositives: 0 };
for (const [id, entry] of counts) {
  const cases = entry.truePositives + entry.falseNegatives;
  process.stdout.write(
    `| ${id} | ${cases} | ${percent(entry.truePositives, cases)} | ${percent(entry.truePositives, entry.truePositives + entry.falsePositives)} | ${entry.falsePositives} |\n`,
  );
  totals = {
    truePositives: totals.truePositives + entry.truePositives,
    falseNegatives: totals.falseNegatives + entry.falseNegatives,
    falsePositives: totals.falsePositives + entry.falsePositives,
  };
}
const allCases = totals.truePositives + totals.falseNegatives;
process.stdout.write(
  `| all ${counts.size} rules | ${allCases} | ${percent(totals.truePositives, allCases)} | ${percent(totals.truePositives, totals.truePositives + totals.falsePositives)} | ${totals.falsePositives} |\n`,
);
process.stdout.write(`\n${corpus.lookalikes.length} look-alikes checked.\n`);
process.exitCode = totals.falseNegatives > 0 || totals.falsePositives > 0 ? 1 : 0;
