// One stage of bookchat on AWS: the data (table, secrets), the optional Cognito pool, the compute shape
// chosen by the context value "compute" (lambda: the seed's serverless shape; fargate: steady traffic),
// CloudFront in front, and the alarms with their SNS topic.
import { CfnOutput, Duration, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { BookchatFargate } from './compute-fargate';
import { BookchatLambda } from './compute-lambda';
import { StageConfig } from './config';
import { BookchatData } from './data';
import { BookchatEdge } from './edge';
import { BookchatIdentity } from './identity';

export class BookchatStack extends Stack {
  readonly data: BookchatData;
  readonly identity?: BookchatIdentity;
  readonly edge: BookchatEdge;

  constructor(scope: Construct, id: string, cfg: StageConfig, props: StackProps = {}) {
    super(scope, id, { ...props, env: { account: cfg.account, region: cfg.region } });
    Tags.of(this).add('app', 'bookchat');
    Tags.of(this).add('stage', cfg.stage);
    this.data = new BookchatData(this, 'Data', cfg);
    if (cfg.cognito) this.identity = new BookchatIdentity(this, 'Identity', cfg);

    const env = this.settings(cfg);
    let originDomain: string;
    let originIsHttps: boolean;
    let alarms: cloudwatch.Alarm[];
    let fargate: BookchatFargate | undefined;
    if (cfg.compute === 'lambda') {
      const c = new BookchatLambda(this, 'Lambda', cfg, this.data, env);
      [originDomain, originIsHttps, alarms] = [c.originDomain, true, c.alarms];
      new CfnOutput(this, 'ApiUrl', { value: c.api.apiEndpoint });
      new CfnOutput(this, 'FunctionName', { value: c.fn.functionName });
    } else {
      fargate = new BookchatFargate(this, 'Fargate', cfg, this.data, env);
      [originDomain, originIsHttps, alarms] = [fargate.originDomain, false, fargate.alarms];
      new CfnOutput(this, 'LoadBalancer', { value: fargate.originDomain });
    }
    this.edge = new BookchatEdge(this, 'Edge', cfg, originDomain, originIsHttps);
    // Without a name of its own, bookchat's public URL is the distribution's: the tasks may name it (the
    // distribution depends on the load balancer only). The function may not (distribution -> API ->
    // function would be a cycle): docs/deploy.md says to deploy again with publicUrl.
    if (fargate && !cfg.publicUrl)
      fargate.service.taskDefinition.defaultContainer!.addEnvironment(
        'BOOKCHAT_PUBLIC_URL', `https://${this.edge.distribution.distributionDomainName}`);

    alarms.push(...this.tableAlarms());
    const topic = new sns.Topic(this, 'Alarms', { displayName: `bookchat ${cfg.stage} alarms` });
    if (cfg.alarmEmail) topic.addSubscription(new subs.EmailSubscription(cfg.alarmEmail));
    for (const a of alarms) a.addAlarmAction(new actions.SnsAction(topic));

    new CfnOutput(this, 'Url', { value: `https://${this.edge.distribution.distributionDomainName}` });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'ServerSecretArn', { value: this.data.serverSecret.secretArn });
    new CfnOutput(this, 'PlatformTokenArn', { value: this.data.platformToken.secretArn });
    if (this.identity) {
      new CfnOutput(this, 'UserPoolId', { value: this.identity.pool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.identity.client.userPoolClientId });
    }
  }

  /** The settings every compute shape shares (src/util/config.h); the secrets are added by each shape. */
  private settings(cfg: StageConfig): Record<string, string> {
    const env: Record<string, string> = {
      BOOKCHAT_STORE: `dynamodb://${this.data.table.tableName}?region=${this.region}`,
      BOOKCHAT_AI_PROVIDER: 'bedrock',
      BOOKCHAT_BEDROCK_REGION: this.region,
      BOOKCHAT_LOG_LEVEL: 'info',
    };
    if (cfg.aiModelNlp) env.BOOKCHAT_AI_MODEL_NLP = cfg.aiModelNlp;
    if (cfg.aiModelAgent) env.BOOKCHAT_AI_MODEL_AGENT = cfg.aiModelAgent;
    if (cfg.publicUrl) env.BOOKCHAT_PUBLIC_URL = cfg.publicUrl;
    return { ...env, ...(this.identity?.oidcEnvironment() ?? {}), ...cfg.extraEnv };
  }

  /** Throttled reads or writes on the table (on-demand tables throttle too, above their previous peak ×2). */
  private tableAlarms(): cloudwatch.Alarm[] {
    const metric = (name: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB', metricName: name, statistic: 'Sum', period: Duration.minutes(5),
        dimensionsMap: { TableName: this.data.table.tableName },
      });
    return ['ReadThrottleEvents', 'WriteThrottleEvents'].map((name) =>
      metric(name).createAlarm(this, `Table${name}`, {
        alarmDescription: `DynamoDB ${name} on the bookchat table`,
        threshold: 1, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
