// Stage parameters of the CDK app: one table of defaults per stage (dev, qa, prod: the seed's multi-account
// section, one AWS account per stage) and the context values (-c name=value, or cdk.json) that override
// them. Everything the stack draws comes from a StageConfig, so the tests build one without the CLI.

export type Stage = 'dev' | 'qa' | 'prod';
export type Compute = 'lambda' | 'fargate';
export type Arch = 'arm64' | 'x86_64';

export interface StageConfig {
  stage: Stage;
  /** AWS account of the stage (undefined: the CLI's current account, CDK_DEFAULT_ACCOUNT). */
  account?: string;
  region: string;
  /** lambda: the seed's serverless shape; fargate: steady traffic, `bookchat serve` behind an ALB. */
  compute: Compute;
  arch: Arch;
  /** Directory of the Lambda package (`make lambda-package`: an executable bootstrap plus lib/). */
  assetDir: string;
  /** Container image of the Fargate service (built from the repository's Dockerfile and pushed by the operator). */
  image: string;
  /** Other regions holding a replica of the table (DynamoDB Global Tables); empty: one region. */
  replicaRegions: string[];
  /** Bedrock model ids (or inference profile ids such as us.anthropic.…) the function may invoke. */
  bedrockModels: string[];
  aiModelNlp?: string;
  aiModelAgent?: string;
  /** A Cognito user pool and app client as bookchat's external OpenID provider. */
  cognito: boolean;
  /** URL where browsers reach bookchat (the CloudFront or custom domain); used in e-mails and links. */
  publicUrl?: string;
  /** ACM certificate (in us-east-1, CloudFront's region) of publicUrl's host: CloudFront answers on that name. */
  certificateArn?: string;
  /** Minutes between two scheduled housekeeping invocations (reaper, feeds, outbox sweep). */
  scheduleMinutes: number;
  lambdaMemoryMb: number;
  lambdaTimeoutS: number;
  /** At most this many concurrent invocations (undefined: the account's pool). */
  reservedConcurrency?: number;
  fargateCpu: number;
  fargateMemoryMb: number;
  fargateDesired: number;
  fargateMax: number;
  /** E-mail address that receives the alarms (undefined: a topic without subscription). */
  alarmEmail?: string;
  /** More settings of bookchat (BOOKCHAT_SMTP_URL, BOOKCHAT_MAIL_FROM, …) from the context value env (JSON). */
  extraEnv: Record<string, string>;
  /** prod and qa keep the table and secrets when the stack is deleted; dev does not. */
  retainData: boolean;
}

// The default models of docs/ai.md (bedrock row): Haiku for the nlp mode, Sonnet for the agent mode.
const DEFAULT_NLP = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const DEFAULT_AGENT = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

const STAGES: Record<Stage, Omit<StageConfig, 'stage' | 'assetDir' | 'extraEnv'>> = {
  dev: {
    region: 'us-east-1', compute: 'lambda', arch: 'arm64', image: 'bookchat:latest', replicaRegions: [],
    bedrockModels: [DEFAULT_NLP, DEFAULT_AGENT], aiModelNlp: DEFAULT_NLP, aiModelAgent: DEFAULT_AGENT,
    cognito: false, scheduleMinutes: 5, lambdaMemoryMb: 512, lambdaTimeoutS: 30, reservedConcurrency: 10,
    fargateCpu: 256, fargateMemoryMb: 512, fargateDesired: 1, fargateMax: 2, retainData: false,
  },
  qa: {
    region: 'us-east-1', compute: 'lambda', arch: 'arm64', image: 'bookchat:latest', replicaRegions: [],
    bedrockModels: [DEFAULT_NLP, DEFAULT_AGENT], aiModelNlp: DEFAULT_NLP, aiModelAgent: DEFAULT_AGENT,
    cognito: false, scheduleMinutes: 5, lambdaMemoryMb: 1024, lambdaTimeoutS: 30, reservedConcurrency: 50,
    fargateCpu: 512, fargateMemoryMb: 1024, fargateDesired: 1, fargateMax: 4, retainData: true,
  },
  prod: {
    region: 'us-east-1', compute: 'lambda', arch: 'arm64', image: 'bookchat:latest', replicaRegions: [],
    bedrockModels: [DEFAULT_NLP, DEFAULT_AGENT], aiModelNlp: DEFAULT_NLP, aiModelAgent: DEFAULT_AGENT,
    cognito: false, scheduleMinutes: 1, lambdaMemoryMb: 1024, lambdaTimeoutS: 30,
    fargateCpu: 1024, fargateMemoryMb: 2048, fargateDesired: 2, fargateMax: 10, retainData: true,
  },
};

/** Where `make lambda-package` leaves the package, relative to the repository root. */
export const DEFAULT_ASSET_DIR = 'build/lambda-package';

/** Reads one context value: a string as given, undefined when absent or empty. */
export type ContextReader = (name: string) => unknown;

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

function list(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String).map((s) => s.trim()).filter(Boolean);
  const s = str(v);
  return s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean);
}

function bool(name: string, v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = str(v);
  if (s === undefined) return undefined;
  if (['true', 'on', 'yes', '1'].includes(s)) return true;
  if (['false', 'off', 'no', '0'].includes(s)) return false;
  throw new Error(`context ${name}: expected true or false, got ${s}`);
}

function int(name: string, v: unknown, min: number, max: number): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!/^[0-9]+$/.test(s) || Number(s) < min || Number(s) > max)
    throw new Error(`context ${name}: expected an integer from ${min} to ${max}, got ${s}`);
  return Number(s);
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw new Error(`context ${name}: expected one of ${allowed.join(', ')}, got ${s}`);
  return s as T;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/;
const ACCOUNT = /^[0-9]{12}$/;
// A Bedrock model or inference profile id: letters, digits and . - : only (it becomes part of an ARN).
const MODEL = /^[a-z0-9][a-z0-9.:-]*$/;

/**
 * The stage's configuration: the defaults of `stage` (context "stage", default dev) overridden by the
 * context values account, accounts ({"dev": "…", "prod": "…"}), region, compute, arch, assetDir, image,
 * replicaRegions, bedrockModels, aiModelNlp, aiModelAgent, cognito, publicUrl, scheduleMinutes,
 * lambdaMemoryMb, lambdaTimeoutS, reservedConcurrency, fargateCpu, fargateMemoryMb, fargateDesired,
 * fargateMax, alarmEmail. Throws on a malformed value, so a typo stops the synth instead of deploying
 * something else.
 */
export function loadConfig(ctx: ContextReader): StageConfig {
  const stage = oneOf('stage', ctx('stage'), ['dev', 'qa', 'prod'] as const) ?? 'dev';
  const d = STAGES[stage];
  let accounts: Record<string, unknown> = {};
  const rawAccounts = ctx('accounts');
  if (rawAccounts !== undefined) {
    accounts = typeof rawAccounts === 'string' ? JSON.parse(rawAccounts) : (rawAccounts as Record<string, unknown>);
  }
  const account = str(ctx('account')) ?? str(accounts[stage]);
  if (account !== undefined && !ACCOUNT.test(account)) throw new Error(`account of stage ${stage}: expected 12 digits, got ${account}`);
  const region = str(ctx('region')) ?? d.region;
  const replicaRegions = list(ctx('replicaRegions')) ?? d.replicaRegions;
  for (const r of [region, ...replicaRegions]) if (!REGION.test(r)) throw new Error(`not an AWS region: ${r}`);
  if (replicaRegions.includes(region)) throw new Error(`replicaRegions must not hold the stack's own region ${region}`);
  const bedrockModels = list(ctx('bedrockModels')) ?? d.bedrockModels;
  for (const m of bedrockModels) if (!MODEL.test(m)) throw new Error(`not a Bedrock model id: ${m}`);
  const aiModelNlp = str(ctx('aiModelNlp')) ?? d.aiModelNlp;
  const aiModelAgent = str(ctx('aiModelAgent')) ?? d.aiModelAgent;
  for (const m of [aiModelNlp, aiModelAgent])
    if (m !== undefined && !bedrockModels.includes(m)) throw new Error(`model ${m} is used but not in bedrockModels (IAM would refuse it)`);
  const publicUrl = str(ctx('publicUrl'));
  if (publicUrl !== undefined && !/^https:\/\/[a-z0-9.-]+(:[0-9]+)?$/i.test(publicUrl))
    throw new Error(`context publicUrl: expected https://host, got ${publicUrl}`);
  const certificateArn = str(ctx('certificateArn'));
  if (certificateArn !== undefined) {
    if (!/^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate\/[0-9a-f-]+$/.test(certificateArn))
      throw new Error(`context certificateArn: expected an ACM certificate ARN in us-east-1, got ${certificateArn}`);
    if (publicUrl === undefined) throw new Error('context certificateArn needs publicUrl (the host name the certificate is for)');
  }
  const alarmEmail = str(ctx('alarmEmail'));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) throw new Error(`context alarmEmail: not an e-mail address: ${alarmEmail}`);
  const extraEnv = parseEnv(ctx('env'));
  return {
    stage,
    account,
    region,
    compute: oneOf('compute', ctx('compute'), ['lambda', 'fargate'] as const) ?? d.compute,
    arch: oneOf('arch', ctx('arch'), ['arm64', 'x86_64'] as const) ?? d.arch,
    assetDir: str(ctx('assetDir')) ?? DEFAULT_ASSET_DIR,
    image: str(ctx('image')) ?? d.image,
    replicaRegions,
    bedrockModels,
    aiModelNlp,
    aiModelAgent,
    cognito: bool('cognito', ctx('cognito')) ?? d.cognito,
    publicUrl,
    certificateArn,
    scheduleMinutes: int('scheduleMinutes', ctx('scheduleMinutes'), 1, 60) ?? d.scheduleMinutes,
    lambdaMemoryMb: int('lambdaMemoryMb', ctx('lambdaMemoryMb'), 128, 10240) ?? d.lambdaMemoryMb,
    lambdaTimeoutS: int('lambdaTimeoutS', ctx('lambdaTimeoutS'), 3, 900) ?? d.lambdaTimeoutS,
    reservedConcurrency: int('reservedConcurrency', ctx('reservedConcurrency'), 1, 100000) ?? d.reservedConcurrency,
    fargateCpu: int('fargateCpu', ctx('fargateCpu'), 256, 16384) ?? d.fargateCpu,
    fargateMemoryMb: int('fargateMemoryMb', ctx('fargateMemoryMb'), 512, 122880) ?? d.fargateMemoryMb,
    fargateDesired: int('fargateDesired', ctx('fargateDesired'), 1, 100) ?? d.fargateDesired,
    fargateMax: int('fargateMax', ctx('fargateMax'), 1, 100) ?? d.fargateMax,
    alarmEmail,
    extraEnv,
    retainData: d.retainData,
  };
}

// Settings the stack sets itself: the secrets come from Secrets Manager, the store from the table.
const OWNED = new Set(['BOOKCHAT_SECRET', 'BOOKCHAT_PLATFORM_TOKEN', 'BOOKCHAT_STORE', 'BOOKCHAT_DATA', 'BOOKCHAT_TEST_HOOKS']);

function parseEnv(v: unknown): Record<string, string> {
  if (v === undefined || v === null || v === '') return {};
  const obj = typeof v === 'string' ? JSON.parse(v) : v;
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new Error('context env: expected a JSON object of BOOKCHAT_* settings');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj as Record<string, unknown>)) {
    if (!/^BOOKCHAT_[A-Z0-9_]+$/.test(k)) throw new Error(`context env: ${k} is not a BOOKCHAT_* setting`);
    if (OWNED.has(k)) throw new Error(`context env: ${k} is set by the stack (secrets come from Secrets Manager)`);
    if (typeof val !== 'string' || /[\r\n]/.test(val)) throw new Error(`context env: ${k} must be a one-line string`);
    out[k] = val;
  }
  return out;
}
