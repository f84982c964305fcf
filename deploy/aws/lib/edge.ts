// CloudFront in front of either compute shape: the web assets (widget.js, admin, platform, manage and demo
// pages, served by bookchat itself with hashed names, ETags and Cache-Control) cached at the edge, the API
// and the operations endpoints passed through uncached with every header, cookie and query string.
import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';
import { StageConfig } from './config';

/** Paths that are never cached: the JSON API and the health, readiness and metrics endpoints. */
export const UNCACHED_PATHS = ['/v1/*', '/healthz', '/readyz', '/metrics'];

export class BookchatEdge extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, cfg: StageConfig, originDomain: string, originIsHttps: boolean) {
    super(scope, id);
    const origin = new origins.HttpOrigin(originDomain, {
      protocolPolicy: originIsHttps ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY : cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      readTimeout: Duration.seconds(60), // a chat turn waiting on an LLM (ai_turn_timeout is 45 s)
    });
    // Assets: the origin's Cache-Control decides (immutable hashed files for a year, pages no-cache);
    // nothing is cached when the origin says nothing. Gzip and Brotli variants are kept apart.
    const assets = new cloudfront.CachePolicy(this, 'Assets', {
      comment: 'bookchat web assets: follow the origin Cache-Control',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // The API: nothing cached; every viewer header (X-Api-Key, Authorization, Origin, Idempotency-Key,
    // X-Conversation-Token, X-Tenant-Id …), cookie and query string forwarded, except Host, which must be
    // the origin's own for API Gateway and the load balancer.
    const api: cloudfront.AddBehaviorOptions = {
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `bookchat ${cfg.stage}`,
      priceClass: cfg.stage === 'prod' ? cloudfront.PriceClass.PRICE_CLASS_ALL : cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // with the operator's own name and certificate; else the default *.cloudfront.net name and certificate
      ...(cfg.certificateArn && cfg.publicUrl
        ? {
            domainNames: [new URL(cfg.publicUrl).hostname],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', cfg.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        origin,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        cachePolicy: assets,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(UNCACHED_PATHS.map((p) => [p, { origin, ...api }])),
    });
  }
}
