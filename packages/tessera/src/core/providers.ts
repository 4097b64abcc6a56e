/**
 * Token formats that announce their issuer in a fixed prefix, as the providers document them.
 * The first matching rule wins, so longer prefixes come before shorter ones that share a start.
 */
const providerRules: { provider: string; pattern: RegExp }[] = [
  { provider: 'github', pattern: /^(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})$/ },
  { provider: 'gitlab', pattern: /^glpat-[A-Za-z0-9_-]{20,}$/ },
  { provider: 'stripe', pattern: /^(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}$/ },
  { provider: 'slack', pattern: /^xox[abposr]-[A-Za-z0-9-]{10,}$/ },
  { provider: 'slack', pattern: /^xapp-[A-Za-z0-9-]{10,}$/ },
  { provider: 'aws', pattern: /^(?:AKIA|ASIA)[A-Z0-9]{16}$/ },
  { provider: 'npm', pattern: /^npm_[A-Za-z0-9]{36}$/ },
  { provider: 'pypi', pattern: /^pypi-[A-Za-z0-9_-]{50,}$/ },
  { provider: 'sendgrid', pattern: /^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$/ },
  { provider: 'google', pattern: /^AIza[A-Za-z0-9_-]{35}$/ },
  { provider: 'anthropic', pattern: /^sk-ant-[A-Za-z0-9_-]{20,}$/ },
  { provider: 'openai', pattern: /^sk-(?:proj-)?[A-Za-z0-9_-]{20,}$/ },
  { provider: 'digitalocean', pattern: /^do[opr]_v1_[a-f0-9]{64}$/ },
  { provider: 'huggingface', pattern: /^hf_[A-Za-z0-9]{30,}$/ },
  { provider: 'shopify', pattern: /^shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}$/ },
  { provider: 'twilio', pattern: /^SK[a-f0-9]{32}$/ },
  { provider: 'mailgun', pattern: /^key-[a-f0-9]{32}$/ },
];

/** Names the provider of a token from its documented prefix and shape, or null when none matches. */
export function recogniseProvider(value: string): string | null {
  const trimmed = value.trim();
  return providerRules.find((rule) => rule.pattern.test(trimmed))?.provider ?? null;
}
