import type { ProgressReporter } from './scan-report.js';

const redrawIntervalMs = 100;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Draws "scanned 120/560 files, 3.4 MB" on one terminal line, at most ten times a second, and
 * clears it at the end. Returns undefined when the stream is not a terminal, so logs stay clean.
 */
export function createTerminalProgress(stream: NodeJS.WriteStream): ProgressReporter | undefined {
  if (!stream.isTTY) return undefined;
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total, bytes) {
      const now = Date.now();
      if (now - lastDraw < redrawIntervalMs) return;
      lastDraw = now;
      drawn = true;
      const count = total > 0 ? `${done}/${total} files` : `${done} changes`;
      stream.write(`\r\u001b[2Kscanning: ${count}, ${megabytes(bytes)}`);
    },
    finish() {
      if (drawn) stream.write('\r\u001b[2K');
    },
  };
}
