import type { SecretRow } from '../store/schema.js';
import { isoOrNull } from './views.js';

/** An external token's record as the API shows it; the value is never part of it. Times are ISO 8601. */
export interface Secret {
  id: string;
  name: string;
  environment: string;
  provider: string | null;
  owner: string | null;
  description: string | null;
  tags: string[];
  /** null when the expiry is unknown. */
  expiresAt: string | null;
  rotationMethod: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  lastReadAt: string | null;
  createdBy: string | null;
}

export interface SecretVersionInfo {
  version: number;
  createdAt: string;
  createdBy: string | null;
  keyVersion: number;
}

export interface SecretDetails extends Secret {
  versions: SecretVersionInfo[];
}

export function toSecret(row: SecretRow): Secret {
  return {
    id: row.id,
    name: row.name,
    environment: row.environment,
    provider: row.provider,
    owner: row.owner,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    expiresAt: isoOrNull(row.expires_at),
    rotationMethod: row.rotation_method,
    version: row.current_version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    lastReadAt: isoOrNull(row.last_read_at),
    createdBy: row.created_by,
  };
}
