import type { ReviewItem, ReviewReport } from '../services/review.js';

const columns = ['owner', 'orphaned', 'type', 'keyspace or environment', 'name', 'scopes', 'last used', 'expires', 'description'] as const;

function rowOf(owner: string | null, orphaned: boolean, item: ReviewItem): string[] {
  return [
    owner ?? '',
    orphaned ? 'yes' : 'no',
    item.type,
    item.group,
    item.name,
    item.scopes.join(' '),
    item.lastUsedAt ?? 'never',
    item.expiresAt ?? '',
    item.description ?? '',
  ];
}

// RFC 4180: quote a field that contains a comma, quote or line break, doubling the quotes inside.
function csvField(text: string): string {
  // A leading =, +, - or @ makes spreadsheets run the field as a formula, so it is prefixed with a quote.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function formatReviewCsv(report: ReviewReport): string {
  const lines = [columns.join(',')];
  for (const owner of report.owners) for (const item of owner.items) lines.push(rowOf(owner.owner, owner.orphaned, item).map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function formatReviewMarkdown(report: ReviewReport): string {
  const parts = [
    `# Access review\n`,
    `Generated ${report.generatedAt}. ${report.summary.items} token(s) and secret(s) held by ${report.summary.owners} owner(s); ${report.summary.orphanedItems} orphaned.\n`,
  ];
  if (report.members === null) parts.push('No member list was given, so only items without an owner count as orphaned.\n');
  for (const owner of report.owners) {
    const heading = owner.owner === null ? 'No owner' : markdownCell(owner.owner);
    parts.push(`## ${heading}${owner.orphaned ? ' (orphaned)' : ''}\n`);
    parts.push('| type | keyspace or environment | name | scopes | last used | expires | why |\n| --- | --- | --- | --- | --- | --- | --- |');
    for (const item of owner.items) {
      const cells = [
        item.type,
        item.group,
        item.name,
        item.scopes.join(' ') || '-',
        item.lastUsedAt ?? 'never',
        item.expiresAt ?? '-',
        item.description ?? '-',
      ];
      parts.push(`| ${cells.map(markdownCell).join(' | ')} |`);
    }
    parts.push('');
  }
  return `${parts.join('\n')}\n`;
}
