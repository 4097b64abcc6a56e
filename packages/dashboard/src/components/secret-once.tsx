import { useEffect, useRef, useState } from 'react';

const copyMessages = {
  idle: '',
  copied: 'Copied to the clipboard.',
  failed: 'Copy failed, so select the text and copy it by hand.',
} as const;

/**
 * Shows a token's secret, which the API returns only once, with a copy button. The value lives
 * only in this component's props: dismissing it drops the last reference the page holds.
 */
export function SecretOnce({ secret, title, onDismiss }: { secret: string; title: string; onDismiss(): void }) {
  const [copyStatus, setCopyStatus] = useState<keyof typeof copyMessages>('idle');
  const section = useRef<HTMLElement>(null);

  // Focus moves here, so keyboard and screen reader users learn of the secret at once.
  useEffect(() => section.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopyStatus('copied');
    } catch {
      setCopyStatus('failed');
    }
  }

  return (
    <section ref={section} tabIndex={-1} className="secret-once" aria-labelledby="secret-title">
      <h2 id="secret-title">{title}</h2>
      <p>Copy it now: Tessera stores only a keyed hash, so this secret is never shown again.</p>
      <code className="secret-value" data-testid="secret-value">
        {secret}
      </code>
      <div className="secret-actions">
        <button type="button" className="primary" onClick={copy}>
          Copy secret
        </button>
        <button type="button" onClick={onDismiss}>
          I have stored it
        </button>
        <span role="status" className="copy-status">
          {copyMessages[copyStatus]}
        </span>
      </div>
    </section>
  );
}
