// Synthesises the stack for each shape and stage and asserts the template offline (no AWS account): the
// resources of the seed's architecture, their properties, and least-privilege IAM.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../lib/config';
import { TABLE_ACTIONS } from '../lib/data';
import { UNCACHED_PATHS } from '../lib/edge';
import { BookchatStack } from '../lib/stack';

// The real package comes from `make lambda-package`; the stack only zips the directory, so a fixture does.
const FIXTURE = path.join(process.env.BOOKCHAT_REPO ?? process.cwd(), 'deploy/aws/test/fixtures/lambda-package');

function synth(ctx: Record<string, unknown> = {}): Template {
  const app = new App();
  const cfg = loadConfig((k) => ({ account: '123456789012', assetDir: FIXTURE, ...ctx })[k]);
  return Template.fromStack(new BookchatStack(app, 'T', cfg));
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function statements(t: Template): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

// Only one of the shapes is synthesised per template; build each once.
const lambdaDev = synth();
const fargateProd = synth({ stage: 'prod', compute: 'fargate', replicaRegions: 'eu-west-1,ap-southeast-2', cognito: 'true' });

describe('table', () => {
  test('PK/SK strings, ttl, on-demand, point-in-time recovery, no index', () => {
    lambdaDev.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    lambdaDev.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }, { AttributeName: 'SK', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      Replicas: [Match.objectLike({ Region: 'us-east-1', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      GlobalSecondaryIndexes: Match.absent(),
      LocalSecondaryIndexes: Match.absent(),
    });
  });
  test('without replica regions the table lives in one region', () => {
    const t = lambdaDev.findResources('AWS::DynamoDB::GlobalTable');
    const replicas = (Object.values(t)[0] as { Properties: { Replicas: unknown[] } }).Properties.Replicas;
    assert.equal(replicas.length, 1);
  });
  test('replica regions make a Global Table with a replica in each, all with point-in-time recovery', () => {
    const t = fargateProd.findResources('AWS::DynamoDB::GlobalTable');
    const replicas = (Object.values(t)[0] as { Properties: { Replicas: { Region: string; PointInTimeRecoverySpecification: unknown }[] } }).Properties.Replicas;
    assert.deepEqual(replicas.map((r) => r.Region).sort(), ['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    for (const r of replicas) assert.deepEqual(r.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    fargateProd.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });
  test('prod keeps the table (retain, deletion protection); dev does not', () => {
    fargateProd.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    fargateProd.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: Match.arrayWith([Match.objectLike({ DeletionProtectionEnabled: true })]),
    });
    lambdaDev.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});

describe('lambda shape', () => {
  test('provided.al2023 on arm64 by default, bootstrap handler, store and bedrock settings', () => {
    lambdaDev.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Architectures: ['arm64'],
      Handler: 'bootstrap',
      Environment: {
        Variables: Match.objectLike({
          BOOKCHAT_STORE: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          BOOKCHAT_AI_PROVIDER: 'bedrock',
          BOOKCHAT_DATA: '/tmp/bookchat',
          BOOKCHAT_AI_MODEL_NLP: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        }),
      },
    });
  });
  test('x86_64 is selectable', () => {
    synth({ arch: 'x86_64' }).hasResourceProperties('AWS::Lambda::Function', { Architectures: ['x86_64'] });
  });
  test('the secrets are dynamic references to Secrets Manager, never values in the template', () => {
    const fn = Object.values(lambdaDev.findResources('AWS::Lambda::Function'))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    for (const name of ['BOOKCHAT_SECRET', 'BOOKCHAT_PLATFORM_TOKEN']) {
      const v = JSON.stringify(fn.Properties.Environment.Variables[name]);
      assert.match(v, /\{\{resolve:secretsmanager:/, name);
    }
    lambdaDev.resourceCountIs('AWS::SecretsManager::Secret', 2);
    lambdaDev.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } });
    lambdaDev.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } });
  });
  test('HTTP API with payload 2.0 on the $default route, throttled stage', () => {
    lambdaDev.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    lambdaDev.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    lambdaDev.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    lambdaDev.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default', DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 },
    });
  });
  test('an EventBridge schedule invokes the function', () => {
    lambdaDev.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LambdaFunction'), 'Arn'] } })],
    });
    lambdaDev.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });
  test('alarms on function errors and throttles, API 5xx and table throttles, sent to SNS', () => {
    for (const metric of ['Errors', 'Throttles', '5xx', 'ReadThrottleEvents', 'WriteThrottleEvents'])
      lambdaDev.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, AlarmActions: [Match.objectLike({ Ref: Match.anyValue() })] });
    lambdaDev.resourceCountIs('AWS::SNS::Topic', 1);
    lambdaDev.resourceCountIs('AWS::SNS::Subscription', 0);
    synth({ alarmEmail: 'ops@example.com' }).hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
  test('no ECS, no load balancer', () => {
    lambdaDev.resourceCountIs('AWS::ECS::Service', 0);
    lambdaDev.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });
});

describe('fargate shape', () => {
  test('a Fargate service behind an ALB, serve listening on 8080 with the secrets from Secrets Manager', () => {
    fargateProd.resourceCountIs('AWS::Lambda::Function', 0);
    fargateProd.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    fargateProd.resourceCountIs('AWS::Events::Rule', 0);
    fargateProd.hasResourceProperties('AWS::ECS::Service', { LaunchType: 'FARGATE', DesiredCount: 2 });
    fargateProd.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    fargateProd.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          PortMappings: [Match.objectLike({ ContainerPort: 8080 })],
          StopTimeout: 35,
          Environment: Match.arrayWith([{ Name: 'BOOKCHAT_LISTEN', Value: '0.0.0.0:8080' }]),
          Secrets: Match.arrayWith([
            Match.objectLike({ Name: 'BOOKCHAT_SECRET' }),
            Match.objectLike({ Name: 'BOOKCHAT_PLATFORM_TOKEN' }),
          ]),
        }),
      ],
    });
  });
  test("without publicUrl the tasks' public URL is the distribution's", () => {
    const env = JSON.stringify(fargateProd.findResources('AWS::ECS::TaskDefinition'));
    assert.match(env, /"Name":"BOOKCHAT_PUBLIC_URL","Value":\{"Fn::Join":\["",\["https:\/\/",\{"Fn::GetAtt":\["EdgeDistribution[0-9A-F]+","DomainName"\]\}\]\]\}/);
    const own = JSON.stringify(synth({ compute: 'fargate', publicUrl: 'https://book.example.com' }).findResources('AWS::ECS::TaskDefinition'));
    assert.ok(own.includes('{"Name":"BOOKCHAT_PUBLIC_URL","Value":"https://book.example.com"}'));
    assert.equal((own.match(/BOOKCHAT_PUBLIC_URL/g) || []).length, 1);
  });
  test('health check on /readyz, deregistration within the drain', () => {
    fargateProd.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });
  test('scales on CPU, alarms on 5xx and unhealthy tasks', () => {
    fargateProd.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    fargateProd.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HTTPCode_Target_5XX_Count' });
    fargateProd.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnHealthyHostCount' });
  });
  test('the DynamoDB gateway endpoint and no NAT gateway', () => {
    fargateProd.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    fargateProd.resourceCountIs('AWS::EC2::NatGateway', 0);
  });
});

describe('least privilege', () => {
  for (const [name, t] of [['lambda', lambdaDev], ['fargate', fargateProd]] as const) {
    test(`${name}: the table's actions on the table's ARN only, no wildcard, no table administration`, () => {
      const table = statements(t).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      assert.equal(table.length, 1, JSON.stringify(table));
      assert.deepEqual([...actionsOf(table[0])].sort(), [...TABLE_ACTIONS].sort());
      const res = resourcesOf(table[0]);
      assert.equal(res.length, 1);
      assert.deepEqual(res[0], { 'Fn::GetAtt': [Object.keys(t.findResources('AWS::DynamoDB::GlobalTable'))[0], 'Arn'] });
    });
    test(`${name}: no statement grants every resource for a dynamodb or bedrock action`, () => {
      for (const s of statements(t)) {
        const risky = actionsOf(s).some((a) => /^(dynamodb|bedrock):/.test(a) || a === '*');
        if (risky) assert.ok(!resourcesOf(s).includes('*'), JSON.stringify(s));
        assert.ok(!actionsOf(s).some((a) => a === '*' || a.endsWith(':*')), `wildcard action: ${JSON.stringify(s)}`);
      }
    });
    test(`${name}: bedrock:InvokeModel on the configured models only`, () => {
      const bedrock = statements(t).filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
      assert.ok(bedrock.length > 0);
      for (const s of bedrock) {
        assert.deepEqual(actionsOf(s), ['bedrock:InvokeModel']);
        const arns = JSON.stringify(resourcesOf(s));
        assert.ok(/claude-haiku-4-5-20251001-v1:0|claude-sonnet-4-5-20250929-v1:0/.test(arns), arns);
        // a grant on a foundation model in any region holds only through the named inference profile
        if (arns.includes('bedrock:*::')) assert.ok(JSON.stringify(s.Condition).includes('bedrock:InferenceProfileArn'));
      }
    });
  }
  test('plain model ids are foundation models of the region, and only they', () => {
    const haiku = 'anthropic.claude-3-haiku-20240307-v1:0', sonnet = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
    const t = synth({ bedrockModels: `${haiku},${sonnet}`, aiModelNlp: haiku, aiModelAgent: sonnet });
    const bedrock = statements(t).filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
    assert.equal(bedrock.length, 1);
    const arn = (m: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:us-east-1::foundation-model/${m}`]] });
    assert.deepEqual(resourcesOf(bedrock[0]), [arn(haiku), arn(sonnet)]);
    assert.equal(bedrock[0].Condition, undefined);
  });
});

describe('CloudFront', () => {
  const dist = (t: Template) =>
    (Object.values(t.findResources('AWS::CloudFront::Distribution'))[0] as { Properties: { DistributionConfig: Record<string, any> } }).Properties.DistributionConfig;
  test('assets cached by the origin Cache-Control; the API and ops endpoints uncached with viewer headers forwarded', () => {
    for (const t of [lambdaDev, fargateProd]) {
      const d = dist(t);
      assert.deepEqual(d.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern).sort(), ['/healthz', '/metrics', '/readyz', '/v1/*']);
      for (const b of d.CacheBehaviors) {
        assert.equal(b.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // managed CachingDisabled
        assert.equal(b.OriginRequestPolicyId, 'b689b0a8-53d0-40ab-baf2-68738e2966ac'); // AllViewerExceptHostHeader
        assert.equal(b.AllowedMethods.length, 7);
      }
      assert.deepEqual(d.DefaultCacheBehavior.AllowedMethods, ['GET', 'HEAD', 'OPTIONS']);
      assert.equal(d.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    }
    lambdaDev.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        MinTTL: 0, DefaultTTL: 0, MaxTTL: 31536000,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true }),
      }),
    });
  });
  test('a custom name with its certificate (TLS 1.2 at least), or the default name', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab';
    const d = dist(synth({ publicUrl: 'https://book.example.com', certificateArn: arn }));
    assert.deepEqual(d.Aliases, ['book.example.com']);
    assert.equal(d.ViewerCertificate.AcmCertificateArn, arn);
    assert.equal(d.ViewerCertificate.MinimumProtocolVersion, 'TLSv1.2_2021');
    assert.equal(dist(lambdaDev).Aliases, undefined);
    assert.throws(() => loadConfig((k) => ({ certificateArn: arn } as Record<string, unknown>)[k]), /needs publicUrl/);
    assert.throws(() => loadConfig((k) => ({ publicUrl: 'https://a.example.com', certificateArn: arn.replace('us-east-1', 'eu-west-1') } as Record<string, unknown>)[k]), /us-east-1/);
  });
  test("every route of bookchat's route table fits a behaviour: writes and API calls uncached, the cached default serves only web pages", () => {
    const table = readFileSync(path.join(process.env.BOOKCHAT_REPO ?? process.cwd(), 'src/http/routes.c'), 'utf8');
    const routes = [...table.matchAll(/\{(BC_[A-Z]+),\s*"([^"]+)",\s*\w+,\s*\w+,\s*(\w+)/g)].map((m) => ({ method: m[1], path: m[2], handler: m[3] }));
    for (const m of table.matchAll(/WEB_DIR\("([^"]+)"/g)) routes.push({ method: 'BC_GET', path: `${m[1]}/`, handler: 'bc_api_web' });
    assert.ok(routes.length > 50, `parsed ${routes.length} routes`);
    const uncached = (p: string) => UNCACHED_PATHS.some((u) => (u.endsWith('/*') ? p.startsWith(u.slice(0, -1)) : p === u));
    for (const r of routes) {
      if (uncached(r.path)) continue;
      // the default behaviour: GET/HEAD/OPTIONS only, cached: only the web asset handler may live there
      assert.equal(r.method, 'BC_GET', `${r.method} ${r.path} would be refused by CloudFront's cached behaviour`);
      assert.equal(r.handler, 'bc_api_web', `${r.path} (${r.handler}) would be cached by CloudFront`);
    }
  });
  test('the origin is the HTTP API (https) or the load balancer', () => {
    const o = dist(lambdaDev).Origins[0];
    assert.equal(o.CustomOriginConfig.OriginProtocolPolicy, 'https-only');
    assert.match(JSON.stringify(o.DomainName), /execute-api/);
    assert.match(JSON.stringify(dist(fargateProd).Origins[0].DomainName), /FargateServiceLB[0-9A-F]+","DNSName/);
  });
});

describe('cognito', () => {
  test('off by default', () => {
    lambdaDev.resourceCountIs('AWS::Cognito::UserPool', 0);
    const fn = JSON.stringify(lambdaDev.findResources('AWS::Lambda::Function'));
    assert.ok(!fn.includes('BOOKCHAT_OIDC_'));
  });
  test('a pool with an immutable tenantId, the role groups, no self sign-up, and an app client that cannot write the tenant', () => {
    fargateProd.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([Match.objectLike({ Name: 'tenantId', Mutable: false, AttributeDataType: 'String' })]),
    });
    for (const g of ['owner', 'admin', 'viewer']) fargateProd.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: g });
    const client = Object.values(fargateProd.findResources('AWS::Cognito::UserPoolClient'))[0] as { Properties: { WriteAttributes: string[]; ReadAttributes: string[]; GenerateSecret: boolean } };
    assert.ok(!client.Properties.WriteAttributes.includes('custom:tenantId'));
    assert.ok(client.Properties.ReadAttributes.includes('custom:tenantId'));
  });
  test("bookchat's OpenID settings point at the pool, with Cognito's claim names", () => {
    const env = JSON.stringify(fargateProd.findResources('AWS::ECS::TaskDefinition'));
    for (const [k, v] of [['BOOKCHAT_OIDC_TENANT_CLAIM', 'custom:tenantId'], ['BOOKCHAT_OIDC_ROLE_CLAIM', 'cognito:groups']])
      assert.ok(env.includes(`{"Name":"${k}","Value":"${v}"}`), k);
    assert.match(env, /"Name":"BOOKCHAT_OIDC_ISSUER","Value":\{"Fn::Join":\["",\["https:\/\/cognito-idp\.us-east-1\./);
    assert.match(env, /"Name":"BOOKCHAT_OIDC_JWKS".*?\/\.well-known\/jwks\.json/);
    assert.match(env, /"Name":"BOOKCHAT_OIDC_AUDIENCE","Value":\{"Ref":"IdentityPoolAdminPanel/);
  });
});

describe('stage parameters', () => {
  test('stages differ: schedule, concurrency, retention', () => {
    const prod = synth({ stage: 'prod' });
    prod.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    prod.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    lambdaDev.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 10 });
    lambdaDev.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
  test('the account comes from the accounts map of the stage', () => {
    const app = new App();
    const cfg = loadConfig((k) => ({ stage: 'qa', accounts: { dev: '111111111111', qa: '222222222222' }, assetDir: FIXTURE } as Record<string, unknown>)[k]);
    assert.equal(cfg.account, '222222222222');
    assert.equal(new BookchatStack(app, 'Q', cfg).account, '222222222222');
  });
  test('malformed context stops the synth', () => {
    const bad: Record<string, unknown>[] = [
      { stage: 'staging' }, { compute: 'ec2' }, { arch: 'arm' }, { account: '12345' }, { region: 'mars-1' },
      { replicaRegions: 'us-east-1' }, { bedrockModels: 'anthropic.claude*' }, { cognito: 'maybe' },
      { scheduleMinutes: '0' }, { lambdaMemoryMb: '64' }, { publicUrl: 'http://plain.example.com' },
      { aiModelNlp: 'meta.llama3-8b-instruct-v1:0' }, { env: '{"BOOKCHAT_SECRET":"x"}' },
      { env: '{"PATH":"/tmp"}' }, { env: '{"BOOKCHAT_SMTP_URL":"smtp://a\\r\\nb"}' }, { alarmEmail: 'nobody' },
    ];
    for (const ctx of bad) assert.throws(() => loadConfig((k) => ctx[k]), Error, JSON.stringify(ctx));
  });
  test('extra settings from the env context reach the function', () => {
    const t = synth({ env: '{"BOOKCHAT_SMTP_URL":"smtps://mail.example.com:465","BOOKCHAT_MAIL_FROM":"book@example.com"}', publicUrl: 'https://book.example.com' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BOOKCHAT_SMTP_URL: 'smtps://mail.example.com:465', BOOKCHAT_PUBLIC_URL: 'https://book.example.com' }) },
    });
  });
});
