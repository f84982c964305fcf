// The steady-traffic shape: `bookchat serve` in containers (the repository's Dockerfile) on ECS Fargate
// behind an Application Load Balancer, all processes on the one DynamoDB table.
//
// DESIGN NOTES
// - serve runs its own housekeeping thread, so no schedule here. Every task dispatches notifications:
//   the outbox claims each item with a conditional write, so several dispatchers do not send twice.
// - Stopping a task: ECS sends SIGTERM, serve drains for drain_timeout (30 s), the ALB deregisters in the
//   same 30 s, and ECS waits stopTimeout (35 s) before SIGKILL.
// - Public subnets without NAT gateways (the cost of a small installation); the tasks accept traffic from
//   the load balancer only, and reach DynamoDB through a gateway endpoint.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as patterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StageConfig } from './config';
import { BookchatData, DRAIN, bedrockStatements, logRetention } from './data';

export const CONTAINER_PORT = 8080;

export class BookchatFargate extends Construct {
  readonly service: patterns.ApplicationLoadBalancedFargateService;
  readonly originDomain: string;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, cfg: StageConfig, data: BookchatData, env: Record<string, string>) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: { DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.service = new patterns.ApplicationLoadBalancedFargateService(this, 'Service', {
      cluster,
      cpu: cfg.fargateCpu,
      memoryLimitMiB: cfg.fargateMemoryMb,
      desiredCount: cfg.fargateDesired,
      assignPublicIp: true,
      taskSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      runtimePlatform: {
        cpuArchitecture: cfg.arch === 'arm64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      publicLoadBalancer: true,
      taskImageOptions: {
        image: ecs.ContainerImage.fromRegistry(cfg.image),
        containerPort: CONTAINER_PORT,
        logDriver: ecs.LogDrivers.awsLogs({
          streamPrefix: 'bookchat',
          logGroup: new logs.LogGroup(this, 'Logs', { retention: logRetention(cfg) }),
        }),
        environment: {
          ...env,
          BOOKCHAT_LISTEN: `0.0.0.0:${CONTAINER_PORT}`,
          BOOKCHAT_DATA: '/var/lib/bookchat',
          // the load balancer is the proxy whose X-Forwarded-For names the client
          BOOKCHAT_TRUSTED_PROXIES: vpc.vpcCidrBlock,
        },
        secrets: {
          BOOKCHAT_SECRET: ecs.Secret.fromSecretsManager(data.serverSecret),
          BOOKCHAT_PLATFORM_TOKEN: ecs.Secret.fromSecretsManager(data.platformToken),
        },
      },
    });
    // the pattern makes the container without a stop timeout: ECS's default (30 s) would cut the drain short
    const cfnTask = this.service.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
    cfnTask.addPropertyOverride('ContainerDefinitions.0.StopTimeout', DRAIN.toSeconds() + 5);
    this.service.targetGroup.configureHealthCheck({ path: '/readyz', healthyHttpCodes: '200', interval: Duration.seconds(15) });
    this.service.targetGroup.setAttribute('deregistration_delay.timeout_seconds', String(DRAIN.toSeconds()));
    data.grantStore(this.service.taskDefinition.taskRole);
    for (const s of bedrockStatements(this, cfg.bedrockModels)) this.service.taskDefinition.addToTaskRolePolicy(s);

    const scaling = this.service.service.autoScaleTaskCount({ minCapacity: cfg.fargateDesired, maxCapacity: cfg.fargateMax });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    this.originDomain = this.service.loadBalancer.loadBalancerDnsName;

    const period = Duration.minutes(5);
    const lb = this.service.loadBalancer.metrics;
    this.alarms.push(
      lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period }).createAlarm(this, 'Target5xx', {
        alarmDescription: 'bookchat answered 5xx', threshold: 10, evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.service.targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1) }).createAlarm(this, 'Unhealthy', {
        alarmDescription: 'a bookchat task fails /readyz', threshold: 1, evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
