import type { SecretInput } from '../api/client.js';
import type { Secret } from '../api/types.js';

/** Reads the metadata fields of a secret form. An empty field becomes null, which clears it on update. */
export function secretInputOf(form: FormData): SecretInput {
  const text = (field: string): string | null => {
    const value = String(form.get(field) ?? '').trim();
    return value === '' ? null : value;
  };
  const tags = String(form.get('tags') ?? '')
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
  return {
    provider: text('provider'),
    owner: text('owner'),
    description: text('description'),
    tags,
    expiresAt: text('expiresAt'),
    rotationMethod: text('rotationMethod'),
  };
}

/**
 * Renders the value and metadata fields of a secret, filled from `secret` when editing. The value
 * field has autocomplete and spell checking off, so browsers keep it out of form history and spelling services.
 */
export function SecretFields({ secret, valueRequired }: { secret?: Secret; valueRequired: boolean }) {
  return (
    <>
      <label htmlFor="secret-value-input">{valueRequired ? 'Value' : 'New value (optional; becomes the next version)'}</label>
      <textarea
        id="secret-value-input"
        name="value"
        required={valueRequired}
        rows={2}
        autoComplete="off"
        spellCheck={false}
        className="secret-input"
        maxLength={65536}
      />
      <label htmlFor="secret-owner">Owner</label>
      <input id="secret-owner" name="owner" defaultValue={secret?.owner ?? ''} maxLength={200} placeholder="a person or team" />
      <label htmlFor="secret-provider">Provider (optional; recognised from the value when empty)</label>
      <input id="secret-provider" name="provider" defaultValue={secret?.provider ?? ''} maxLength={63} pattern="[a-z0-9][a-z0-9._\-]*" />
      <label htmlFor="secret-description">Description: why it exists and who uses it</label>
      <textarea id="secret-description" name="description" defaultValue={secret?.description ?? ''} maxLength={2000} rows={2} />
      <label htmlFor="secret-tags">Tags (comma-separated)</label>
      <input id="secret-tags" name="tags" defaultValue={secret?.tags.join(', ') ?? ''} />
      <label htmlFor="secret-expires">Expires on (empty: unknown)</label>
      <input id="secret-expires" name="expiresAt" type="date" defaultValue={secret?.expiresAt?.slice(0, 10) ?? ''} />
      <label htmlFor="secret-rotation">Rotation method</label>
      <input
        id="secret-rotation"
        name="rotationMethod"
        defaultValue={secret?.rotationMethod ?? ''}
        maxLength={100}
        placeholder="e.g. manual in the provider's console"
      />
    </>
  );
}
