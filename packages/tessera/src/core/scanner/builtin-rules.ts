import type { RuleDefinition } from './rule.js';

// Secret-sounding names for the generic rule and the keyword-anchored provider rules. A "token"
// that is a page cursor, request id or CSRF token is not a credential.
const secretNames = String.raw`(?:api[_.-]?key|apikey|access[_.-]?key|secret[_.-]?key|client[_.-]?secret|secret|(?<!(?:next|continuation|page|request|change|lifecycle|term|csrf|xsrf|idempotency|cancel|cancellation|sync|resume|cursor|action)[_.-]?)token|auth[_.-]?token|password|passwd|passphrase|pwd|credentials?|private[_.-]?key|signing[_.-]?key)`;

// Rejects a name whose rest names something other than a secret: a token's type, a password's length, a key's path.
const notSecretSuffix = String.raw`(?![A-Za-z0-9_.-]{0,24}?(?:type|url|uri|endpoint|context|name|path|file|length|count|expir|ttl|timeout|header|field|prefix|suffix|format|pattern|regex|kind|mode|size|index|list|provider|manager|service|store|class|factory|handler|option|param|policy|rotation|version|hash|last|id\b))`;

// A name, then `=`, `:`, `:=` or `=>`, optional quotes; every run is bounded (see RuleDefinition).
const assignment = String.raw`[A-Za-z0-9_.-]{0,40}["']?\s{0,4}(?::=|=>|[:=])\s{0,4}["'\x60]?`;

/**
 * The built-in rules, most specific first, because when findings overlap the earlier rule's is kept.
 * A format whose length varies or has grown over time (Stripe, OpenAI, GitLab) takes a range of lengths.
 */
export const builtinRules: RuleDefinition[] = [
  {
    id: 'tessera-token',
    description: 'Tessera issued token (checksum verified)',
    // The lookbehind starts a candidate only where a word starts, so a long lowercase run is not retried at every letter.
    pattern: String.raw`(?<![a-z0-9_])[a-z][a-z0-9_]{0,15}_[0-9A-Za-z]{49}`,
    keywords: ['_'],
    // Searching for "_" and 49 base62 characters first is several times faster than trying the pattern at every lowercase letter.
    anchor: { pattern: String.raw`_[0-9A-Za-z]{49}(?![0-9A-Za-z])`, lookBehind: 16 },
    validator: 'tessera-checksum',
  },

  // Code hosts
  {
    id: 'github-pat',
    description: 'GitHub personal access token (classic)',
    pattern: String.raw`ghp_[0-9A-Za-z]{36}`,
    keywords: ['ghp_'],
    validator: 'github-checksum',
  },
  {
    id: 'github-oauth-token',
    description: 'GitHub OAuth access token',
    pattern: String.raw`gho_[0-9A-Za-z]{36}`,
    keywords: ['gho_'],
    validator: 'github-checksum',
  },
  {
    id: 'github-app-token',
    description: 'GitHub App user-to-server or installation token',
    pattern: String.raw`gh[us]_[0-9A-Za-z]{36}`,
    keywords: ['ghu_', 'ghs_'],
    validator: 'github-checksum',
  },
  { id: 'github-refresh-token', description: 'GitHub refresh token', pattern: String.raw`ghr_[0-9A-Za-z]{36,76}`, keywords: ['ghr_'] },
  {
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token',
    pattern: String.raw`github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}`,
    keywords: ['github_pat_'],
  },
  { id: 'gitlab-pat', description: 'GitLab personal, project or group access token', pattern: String.raw`glpat-[0-9A-Za-z_-]{20,64}`, keywords: ['glpat-'] },
  { id: 'gitlab-runner-token', description: 'GitLab runner authentication token', pattern: String.raw`glrt-[0-9A-Za-z_-]{20,64}`, keywords: ['glrt-'] },
  { id: 'gitlab-deploy-token', description: 'GitLab deploy token', pattern: String.raw`gldt-[0-9A-Za-z_-]{20,64}`, keywords: ['gldt-'] },
  { id: 'bitbucket-app-password', description: 'Bitbucket / Atlassian app password', pattern: String.raw`ATBB[0-9A-Za-z_=.-]{32,64}`, keywords: ['ATBB'] },
  { id: 'atlassian-api-token', description: 'Atlassian API token', pattern: String.raw`ATATT3[0-9A-Za-z_=-]{150,250}`, keywords: ['ATATT3'] },

  // Chat
  { id: 'slack-bot-token', description: 'Slack bot token', pattern: String.raw`xoxb-[0-9]{10,13}-[0-9]{10,13}-[0-9A-Za-z]{24,34}`, keywords: ['xoxb-'] },
  {
    id: 'slack-user-token',
    description: 'Slack user token',
    pattern: String.raw`xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[0-9a-f]{32,64}`,
    keywords: ['xoxp-', 'xoxe-'],
  },
  {
    id: 'slack-app-token',
    description: 'Slack app-level token',
    pattern: String.raw`xapp-[0-9]-[0-9A-Z]{9,12}-[0-9]{10,14}-[0-9a-f]{64}`,
    keywords: ['xapp-'],
  },
  {
    id: 'slack-webhook-url',
    description: 'Slack incoming webhook URL',
    pattern: String.raw`https://hooks\.slack\.com/(?:services|workflows)/T[0-9A-Z]{8,12}/[AB][0-9A-Z]{8,12}/[0-9A-Za-z]{24,32}`,
    keywords: ['hooks.slack.com'],
  },
  {
    id: 'discord-webhook-url',
    description: 'Discord webhook URL',
    pattern: String.raw`https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[0-9A-Za-z_-]{60,68}`,
    keywords: ['/api/webhooks/'],
  },
  {
    id: 'discord-bot-token',
    description: 'Discord bot token',
    pattern: String.raw`[MNO][0-9A-Za-z_-]{23,27}\.[0-9A-Za-z_-]{6}\.[0-9A-Za-z_-]{27,40}`,
    keywords: ['.'],
    validator: 'discord-bot-token',
  },
  { id: 'telegram-bot-token', description: 'Telegram bot token', pattern: String.raw`[0-9]{8,10}:AA[0-9A-Za-z_-]{33}`, keywords: [':AA'] },
  { id: 'twilio-api-key', description: 'Twilio API key SID', pattern: String.raw`SK[0-9a-f]{32}`, keywords: ['SK'], minEntropy: 3 },
  { id: 'sendgrid-api-key', description: 'SendGrid API key', pattern: String.raw`SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}`, keywords: ['SG.'] },
  { id: 'mailchimp-api-key', description: 'Mailchimp API key', pattern: String.raw`[0-9a-f]{32}-us[0-9]{1,2}`, keywords: ['-us'], minEntropy: 3 },

  // Payment
  {
    id: 'stripe-secret-key',
    description: 'Stripe secret or restricted key',
    pattern: String.raw`(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,247}`,
    keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
  },
  { id: 'stripe-webhook-secret', description: 'Stripe webhook signing secret', pattern: String.raw`whsec_[0-9A-Za-z+/]{32,64}`, keywords: ['whsec_'] },
  { id: 'square-access-token', description: 'Square access token', pattern: String.raw`(?:EAAA|sq0atp-)[0-9A-Za-z_-]{22,60}`, keywords: ['EAAA', 'sq0atp-'] },
  { id: 'square-oauth-secret', description: 'Square OAuth application secret', pattern: String.raw`sq0csp-[0-9A-Za-z_-]{43}`, keywords: ['sq0csp-'] },
  {
    id: 'braintree-access-token',
    description: 'PayPal Braintree access token',
    pattern: String.raw`access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}`,
    keywords: ['access_token$'],
  },
  {
    id: 'shopify-token',
    description: 'Shopify access token or shared secret',
    pattern: String.raw`shp(?:at|ss|ca|pa)_[0-9a-fA-F]{32}`,
    keywords: ['shpat_', 'shpss_', 'shpca_', 'shppa_'],
  },

  // Cloud
  {
    id: 'aws-access-key-id',
    description: 'AWS access key ID',
    pattern: String.raw`(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}`,
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    validator: 'aws-key-id',
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key assigned to a variable',
    pattern: String.raw`(?:aws.{0,20}secret|secret.?access.?key)${assignment}([0-9A-Za-z/+]{40})`,
    flags: 'i',
    keywords: ['secret'],
    secretGroup: 1,
    minEntropy: 4,
  },
  { id: 'google-api-key', description: 'Google API key', pattern: String.raw`AIza[0-9A-Za-z_-]{35}`, keywords: ['AIza'] },
  { id: 'google-oauth-client-secret', description: 'Google OAuth client secret', pattern: String.raw`GOCSPX-[0-9A-Za-z_-]{28}`, keywords: ['GOCSPX-'] },
  {
    id: 'azure-storage-account-key',
    description: 'Azure storage account key in a connection string',
    pattern: String.raw`AccountKey=([0-9A-Za-z+/]{86}==)`,
    keywords: ['AccountKey='],
    secretGroup: 1,
  },
  {
    id: 'azure-client-secret',
    description: 'Microsoft Entra ID (Azure AD) client secret',
    pattern: String.raw`[0-9A-Za-z_~.]{3}[0-9]Q~[0-9A-Za-z_~.-]{31,34}`,
    keywords: ['Q~'],
  },
  { id: 'digitalocean-token', description: 'DigitalOcean token', pattern: String.raw`do[por]_v1_[0-9a-f]{64}`, keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'] },
  { id: 'heroku-api-key', description: 'Heroku platform API key', pattern: String.raw`HRKU-[0-9A-Za-z_-]{60}`, keywords: ['HRKU-'] },
  {
    id: 'databricks-token',
    description: 'Databricks personal access token',
    pattern: String.raw`dapi[0-9a-f]{32}(?:-[0-9])?`,
    keywords: ['dapi'],
    minEntropy: 3,
  },
  {
    id: 'hashicorp-vault-token',
    description: 'HashiCorp Vault service or batch token',
    pattern: String.raw`hv[sb]\.[0-9A-Za-z_-]{24,200}`,
    keywords: ['hvs.', 'hvb.'],
  },
  {
    id: 'terraform-cloud-token',
    description: 'Terraform Cloud / HCP Terraform API token',
    pattern: String.raw`[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_=-]{60,70}`,
    keywords: ['.atlasv1.'],
  },
  { id: 'new-relic-api-key', description: 'New Relic user API key', pattern: String.raw`NRAK-[0-9A-Z]{27}`, keywords: ['NRAK-'] },
  { id: 'sentry-auth-token', description: 'Sentry auth token', pattern: String.raw`sntry[us]_[0-9A-Za-z+/=_]{64,200}`, keywords: ['sntrys_', 'sntryu_'] },
  {
    id: 'grafana-token',
    description: 'Grafana Cloud or service account token',
    pattern: String.raw`gl(?:sa|c)_[0-9A-Za-z+/=_]{32,200}`,
    keywords: ['glsa_', 'glc_'],
  },
  { id: 'linear-api-key', description: 'Linear API key', pattern: String.raw`lin_api_[0-9A-Za-z]{40}`, keywords: ['lin_api_'] },

  // AI APIs
  {
    id: 'openai-api-key',
    description: 'OpenAI API key',
    pattern: String.raw`sk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,160}T3BlbkFJ[0-9A-Za-z_-]{20,160}`,
    keywords: ['T3BlbkFJ'],
  },
  {
    id: 'anthropic-api-key',
    description: 'Anthropic API key',
    pattern: String.raw`sk-ant-(?:api|admin)[0-9]{2}-[0-9A-Za-z_-]{80,120}AA`,
    keywords: ['sk-ant-'],
  },
  { id: 'huggingface-token', description: 'Hugging Face access token', pattern: String.raw`hf_[A-Za-z]{34}`, keywords: ['hf_'], minEntropy: 3.5 },
  { id: 'groq-api-key', description: 'Groq API key', pattern: String.raw`gsk_[0-9A-Za-z]{52}`, keywords: ['gsk_'] },
  { id: 'replicate-api-token', description: 'Replicate API token', pattern: String.raw`r8_[0-9A-Za-z]{37}`, keywords: ['r8_'] },
  { id: 'perplexity-api-key', description: 'Perplexity API key', pattern: String.raw`pplx-[0-9A-Za-z]{48}`, keywords: ['pplx-'] },

  // Package registries
  { id: 'npm-access-token', description: 'npm access token', pattern: String.raw`npm_[0-9A-Za-z]{36}`, keywords: ['npm_'], validator: 'github-checksum' },
  {
    id: 'pypi-upload-token',
    description: 'PyPI upload token',
    pattern: String.raw`pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,300}`,
    keywords: ['pypi-AgEIcHlwaS5vcmc'],
  },
  { id: 'nuget-api-key', description: 'NuGet API key', pattern: String.raw`oy2[a-z0-9]{43}`, keywords: ['oy2'], minEntropy: 3.5 },
  { id: 'rubygems-api-key', description: 'RubyGems API key', pattern: String.raw`rubygems_[0-9a-f]{48}`, keywords: ['rubygems_'] },
  { id: 'docker-hub-pat', description: 'Docker Hub personal access token', pattern: String.raw`dckr_pat_[0-9A-Za-z_-]{27}`, keywords: ['dckr_pat_'] },

  // Keys, databases, JWTs
  {
    id: 'private-key',
    description: 'PEM or OpenSSH private key',
    // Lines end in a newline, or in an escaped "\n" when the key sits in a JSON or env string.
    // The body is found lazily up to the END line, so a BEGIN line with no END costs one bounded look ahead.
    pattern: String.raw`-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----([\s\S]{64,16384}?)-----END \1-----`,
    keywords: ['PRIVATE KEY'],
    validator: 'private-key',
    boundary: 'none',
  },
  {
    id: 'database-url-password',
    description: 'Password in a database or message broker URL',
    pattern: String.raw`(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse)://[^\s:/@"'\x60]{1,64}:([^\s/@"'\x60]{1,128})@[0-9A-Za-z.\-\[\]:]{1,255}`,
    keywords: ['://'],
    secretGroup: 1,
    validator: 'url-password',
  },
  {
    id: 'jwt',
    description: 'JSON Web Token',
    pattern: String.raw`eyJ[0-9A-Za-z_-]{8,2000}\.eyJ[0-9A-Za-z_-]{8,8000}\.[0-9A-Za-z_-]{16,1000}`,
    keywords: ['eyJ'],
    validator: 'jwt',
  },

  // Anything else with a secret-sounding name
  {
    id: 'generic-secret',
    description: 'High-entropy value assigned to a secret-sounding name',
    pattern: String.raw`(?<![:/])${secretNames}${notSecretSuffix}${assignment}([^\s"'\x60,;(){}<>\[\]\\]{16,200})`,
    flags: 'i',
    keywords: ['key', 'secret', 'token', 'passw', 'pwd', 'credential', 'passphrase'],
    secretGroup: 1,
    minEntropy: 3.5,
    validator: 'assigned-value',
  },
];
