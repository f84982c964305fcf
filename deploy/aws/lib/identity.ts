// The optional Cognito user pool: staff sign in there, and bookchat verifies the pool's ID tokens as an
// external OpenID provider (docs/security.md; the oidc_* settings of src/util/config.h).
//
// DESIGN NOTES
// - The tenant is the immutable custom attribute tenantId (claim custom:tenantId); the role is the group
//   owner, admin or viewer (claim cognito:groups, an array: bookchat takes the highest role it names).
// - No self sign-up and no client write access to custom:tenantId: a user who could set the attribute
//   could name another tenant. The operator (or the platform's own tooling) creates the users.
// - bookchat checks aud, which Cognito puts in ID tokens only (access tokens carry client_id): the admin
//   panel must send the ID token.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { StageConfig } from './config';

export const ROLE_GROUPS = ['owner', 'admin', 'viewer'];

export class BookchatIdentity extends Construct {
  readonly pool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, cfg: StageConfig) {
    super(scope, id);
    this.pool = new cognito.UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: { tenantId: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: false }) },
      passwordPolicy: { minLength: 12, requireSymbols: false, tempPasswordValidity: Duration.days(3) },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: cfg.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: cfg.retainData,
    });
    for (const g of ROLE_GROUPS)
      new cognito.CfnUserPoolGroup(this, `Group-${g}`, { userPoolId: this.pool.userPoolId, groupName: g });
    this.client = this.pool.addClient('AdminPanel', {
      generateSecret: false,
      authFlows: { userSrp: true },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes('tenantId'),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
    });
  }

  /** bookchat's OpenID settings for this pool (BOOKCHAT_OIDC_*). */
  oidcEnvironment(): Record<string, string> {
    const issuer = `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.pool.userPoolId}`;
    return {
      BOOKCHAT_OIDC_ISSUER: issuer,
      BOOKCHAT_OIDC_AUDIENCE: this.client.userPoolClientId,
      BOOKCHAT_OIDC_JWKS: `${issuer}/.well-known/jwks.json`,
      BOOKCHAT_OIDC_TENANT_CLAIM: 'custom:tenantId',
      BOOKCHAT_OIDC_ROLE_CLAIM: 'cognito:groups',
    };
  }
}
