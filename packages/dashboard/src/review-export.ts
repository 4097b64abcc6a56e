import { formatReviewCsv, formatReviewMarkdown } from 'tessera/dist/cli/review-output.js';
import type { ReviewReport } from './api/types.js';

export type ReviewFormat = 'markdown' | 'csv' | 'json';

const formats: Record<ReviewFormat, { extension: string; type: string; render(report: ReviewReport): string }> = {
  // The same renderers as `tessera review --format`, so a download matches the CLI's output.
  markdown: { extension: 'md', type: 'text/markdown', render: formatReviewMarkdown },
  csv: { extension: 'csv', type: 'text/csv', render: formatReviewCsv },
  json: { extension: 'json', type: 'application/json', render: (report) => `${JSON.stringify(report, null, 2)}\n` },
};

/** Parses a member list as `tessera review --members` reads its file: one person or team per line, skipping blank lines and lines that start with '#'. */
export function parseMembers(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Saves the report as a file built in the browser. The download link points at a `blob:` URL of
 * this page, which names no token or secret, and is revoked once the download has started.
 */
export function downloadReview(report: ReviewReport, format: ReviewFormat): void {
  const { extension, type, render } = formats[format];
  const url = URL.createObjectURL(new Blob([render(report)], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `access-review-${report.generatedAt.slice(0, 10)}.${extension}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
