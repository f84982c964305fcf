// The CDK app: one stack, Bookchat-<stage>, configured from the context (lib/config.ts). Run it through
// the CDK CLI from the repository root: npx cdk --app 'node deploy/aws/run.mjs' synth -c stage=dev
import { App } from 'aws-cdk-lib';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { BookchatStack } from '../lib/stack';

const app = new App();
const cfg = loadConfig((name) => app.node.tryGetContext(name));
cfg.assetDir = path.resolve(process.env.BOOKCHAT_REPO ?? process.cwd(), cfg.assetDir);
if (cfg.compute === 'lambda' && !existsSync(path.join(cfg.assetDir, 'bootstrap')))
  throw new Error(`no Lambda package at ${cfg.assetDir}: run \`make lambda-package\` first (or -c assetDir=DIR)`);
new BookchatStack(app, `Bookchat-${cfg.stage}`, cfg, {
  description: `bookchat ${cfg.stage}: ${cfg.compute === 'lambda' ? 'Lambda + HTTP API' : 'ECS Fargate + ALB'}, DynamoDB, CloudFront`,
});
app.synth();
