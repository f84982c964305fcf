// What outlives the compute: the DynamoDB table bookchat's store uses (src/store/dynamodb_*.c), the two
// secrets, and the IAM statements that let the compute reach exactly them and the configured Bedrock models.
//
// DESIGN NOTES
// - The table is what `bookchat store init` would create: PK and SK strings, TTL on the attribute "ttl"
//   (src/store/dynamodb_table.c checks both), no secondary index. On-demand billing, point-in-time recovery.
// - Replicas make it a Global Table (TableV2 / AWS::DynamoDB::GlobalTable in every case, so adding a
//   region later is an update, not a replacement). Writes of a tenant stay in its home region (docs/scaling.md).
// - IAM: the item operations bookchat calls, on this table's ARN only (no wildcard, no CreateTable: the
//   stack owns the table's shape); bedrock:InvokeModel on the configured models only.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { StageConfig } from './config';

/** The operations of src/store/dynamodb_*.c (item reads and writes, the reaper's and export's Scan, the check). */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:DescribeTable',
  'dynamodb:DescribeTimeToLive',
];

export class BookchatData extends Construct {
  readonly table: dynamodb.TableV2;
  readonly serverSecret: secretsmanager.Secret;
  readonly platformToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string, cfg: StageConfig) {
    super(scope, id);
    const removal = cfg.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'ttl',
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: cfg.retainData,
      removalPolicy: removal,
      replicas: cfg.replicaRegions.map((region) => ({ region })),
    });
    // The key hashes, JWT signatures and conversation tokens hang on the server secret: one value for every
    // process of the stage, never rotated by a schedule (rotating it revokes every API key; docs/operations.md).
    this.serverSecret = new secretsmanager.Secret(this, 'ServerSecret', {
      description: `bookchat ${cfg.stage}: server secret (BOOKCHAT_SECRET)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: removal,
    });
    this.platformToken = new secretsmanager.Secret(this, 'PlatformToken', {
      description: `bookchat ${cfg.stage}: platform API bearer token (BOOKCHAT_PLATFORM_TOKEN)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: removal,
    });
  }

  /** Lets grantee use the table's items: the listed actions on this table's ARN, nothing else. */
  grantStore(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'BookchatTable', actions: TABLE_ACTIONS, resources: [this.table.tableArn] }),
    );
  }
}

/** Geographic prefixes of Bedrock cross-region inference profile ids (us.anthropic.…, eu.…, global.…). */
const PROFILE_PREFIX = /^(us|eu|apac|jp|au|ca|us-gov|global)\./;

/**
 * The statements that let the compute call the configured models and nothing else. A plain model id is a
 * foundation model of the stack's region. An inference profile id (us.anthropic.…) needs the profile in
 * the stack's region and the model in whichever region the profile routes to: that second grant names the
 * one model and holds only through that profile (condition bedrock:InferenceProfileArn), as AWS documents.
 */
export function bedrockStatements(scope: Construct, models: string[]): iam.PolicyStatement[] {
  const st = Stack.of(scope);
  const direct: string[] = [];
  const out: iam.PolicyStatement[] = [];
  for (const m of models) {
    if (!PROFILE_PREFIX.test(m)) {
      direct.push(`arn:${st.partition}:bedrock:${st.region}::foundation-model/${m}`);
      continue;
    }
    const profileArn = `arn:${st.partition}:bedrock:${st.region}:${st.account}:inference-profile/${m}`;
    const base = m.replace(PROFILE_PREFIX, '');
    out.push(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [profileArn] }));
    out.push(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [`arn:${st.partition}:bedrock:*::foundation-model/${base}`],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      }),
    );
  }
  if (direct.length) out.unshift(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: direct }));
  return out;
}

/** Keeps the logs a month in dev and qa, a year in prod. */
export function logRetention(cfg: StageConfig): logs.RetentionDays {
  return cfg.stage === 'prod' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH;
}

/** bookchat's drain_timeout: what a stopping process gets to finish the requests in flight. */
export const DRAIN = Duration.seconds(30);
