import type { RuleDefinition } from './rule.js';

/** The fields of a finding that SARIF output uses. The secret is deliberately not one of them. */
export interface SarifFinding {
  ruleId: string;
  path: string;
  line: number;
  column: number;
  snippet: string;
  fingerprint: string;
  commit: string | null;
  confidence: string;
}

export interface SarifOptions {
  toolVersion: string;
  rules: RuleDefinition[];
}

/** Percent-encodes a relative path for a SARIF artifact URI, keeping its slashes. */
function toUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * Builds a SARIF 2.1.0 log, the format code-scanning UIs read. Partial fingerprints let those UIs
 * recognise a finding across runs, as the baseline does.
 */
export function buildSarifLog(findings: SarifFinding[], options: SarifOptions): object {
  const usedRules = options.rules.filter((rule) => findings.some((finding) => finding.ruleId === rule.id));
  const ruleIndex = new Map(usedRules.map((rule, index) => [rule.id, index]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tessera',
            version: options.toolVersion,
            rules: usedRules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.description },
              defaultConfiguration: { level: 'error' },
              properties: { tags: ['security', 'secret'] },
            })),
          },
        },
        results: findings.map((finding) => ({
          ruleId: finding.ruleId,
          ruleIndex: ruleIndex.get(finding.ruleId) ?? -1,
          level: 'error',
          message: { text: `Possible secret (${finding.ruleId}) found${finding.commit ? ` in commit ${finding.commit}` : ''}: ${finding.snippet}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: {
                  uri: toUri(finding.path),
                  ...(finding.path.startsWith('/') || finding.path === '(stdin)' ? {} : { uriBaseId: '%SRCROOT%' }),
                },
                region: { startLine: finding.line, startColumn: finding.column, snippet: { text: finding.snippet } },
              },
            },
          ],
          partialFingerprints: { 'tesseraFingerprint/v1': finding.fingerprint },
          properties: { confidence: finding.confidence, ...(finding.commit ? { commit: finding.commit } : {}) },
        })),
      },
    ],
  };
}
