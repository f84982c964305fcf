// The seed's serverless shape: `bookchat lambda` (the custom runtime in the same binary, packed by
// `make lambda-package`) behind an API Gateway HTTP API, woken by an EventBridge schedule for housekeeping.
//
// DESIGN NOTES
// - Payload format 2.0 on the $default route: every path goes to the function, which routes like `serve`.
// - The schedule is an EventBridge rule (its events carry source "aws.events", which `bookchat lambda`
//   takes as "run the reaper, feed polling and outbox sweep"), not an API call.
// - The secrets reach the function as CloudFormation dynamic references: the template holds only the
//   secret's ARN; the value is resolved at deploy time into the function's configuration.
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StageConfig } from './config';
import { BookchatData, bedrockStatements, logRetention } from './data';

export class BookchatLambda extends Construct {
  readonly fn: lambda.Function;
  readonly api: apigw.HttpApi;
  /** host name of the API, the CloudFront origin */
  readonly originDomain: string;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, cfg: StageConfig, data: BookchatData, env: Record<string, string>) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logRetention(cfg) });
    this.fn = new lambda.Function(this, 'Function', {
      description: `bookchat ${cfg.stage} (bookchat lambda)`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: cfg.arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(cfg.assetDir),
      memorySize: cfg.lambdaMemoryMb,
      timeout: Duration.seconds(cfg.lambdaTimeoutS),
      reservedConcurrentExecutions: cfg.reservedConcurrency,
      logGroup,
      environment: {
        ...env,
        BOOKCHAT_DATA: '/tmp/bookchat',
        BOOKCHAT_SECRET: data.serverSecret.secretValue.unsafeUnwrap(),
        BOOKCHAT_PLATFORM_TOKEN: data.platformToken.secretValue.unsafeUnwrap(),
      },
    });
    data.grantStore(this.fn);
    for (const s of bedrockStatements(this, cfg.bedrockModels)) this.fn.addToRolePolicy(s);

    this.api = new apigw.HttpApi(this, 'Api', {
      description: `bookchat ${cfg.stage}`,
      defaultIntegration: new HttpLambdaIntegration('Bookchat', this.fn, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    // A ceiling in front of the function; bookchat's own per-key and per-visitor limits do the fine work.
    const stage = this.api.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.defaultRouteSettings = {
      throttlingRateLimit: cfg.stage === 'prod' ? 2000 : 100,
      throttlingBurstLimit: cfg.stage === 'prod' ? 1000 : 50,
    };
    this.originDomain = `${this.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;

    new events.Rule(this, 'Housekeeping', {
      description: 'bookchat housekeeping: reaper, calendar feeds, outbox sweep',
      schedule: events.Schedule.rate(Duration.minutes(cfg.scheduleMinutes)),
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 0 })],
    });

    const period = Duration.minutes(5);
    this.alarms.push(
      this.fn.metricErrors({ period }).createAlarm(this, 'Errors', {
        alarmDescription: 'bookchat function errors (crashes, timeouts, init failures)',
        threshold: 5, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.fn.metricThrottles({ period }).createAlarm(this, 'Throttles', {
        alarmDescription: 'bookchat function throttled (reserved concurrency or account limit reached)',
        threshold: 1, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.api.metricServerError({ period }).createAlarm(this, 'Api5xx', {
        alarmDescription: 'HTTP API 5xx answers',
        threshold: 10, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
