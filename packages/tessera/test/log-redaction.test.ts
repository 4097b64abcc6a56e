import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { generateToken, tokenHint } from '../src/core/token-format.js';
import { createLogger } from '../src/services/logger.js';

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('log redaction', () => {
  test('tokens in messages, fields and nested objects are masked', () => {
    const { logger, lines } = captureLogger();
    const token = generateToken('bill');
    logger.info({ url: `/v1/tokens?token=${token}`, nested: { list: [token] } }, `presented ${token}`);

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(token);
    expect(lines[0]).toContain(tokenHint(token));
    const entry = JSON.parse(lines[0]!);
    expect(entry.msg).toBe(`presented ${tokenHint(token)}`);
    expect(entry.nested.list[0]).toBe(tokenHint(token));
  });

  test('authorization headers are removed', () => {
    const { logger, lines } = captureLogger();
    logger.info({ req: { headers: { authorization: 'Bearer secret-value' } } }, 'request');
    expect(lines[0]).not.toContain('secret-value');
    expect(JSON.parse(lines[0]!).req.headers.authorization).toBe('[redacted]');
  });

  test('ordinary text is left alone', () => {
    const { logger, lines } = captureLogger();
    logger.info({ id: '01a242a3-5519-709d-8744-a5a31860f769' }, 'token created');
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: '01a242a3-5519-709d-8744-a5a31860f769', msg: 'token created' });
  });
});
