/* AWS credentials for SigV4 (DynamoDB, STS, Bedrock): from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), or, when those are unset, from the container credentials
 * endpoint that ECS (Fargate) and EKS Pod Identity give a task: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 * (on http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN
 * or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as its Authorization header.
 *
 * DESIGN NOTES
 * - The endpoint's credentials are the task role's, temporary: one copy per process, fetched on first use
 *   and again 5 minutes before they expire (halfway through a shorter life); a failed fetch keeps the current
 * ones until they expire and is retried at most every 5 seconds.
 * - A FULL_URI over plain http must name a loopback address or one of the container agents' link-local
 *   addresses (169.254.170.2, 169.254.170.23, fd00:ec2::23), as the AWS SDKs require: a setting cannot
 *   send the authorization token, or take credentials from, anywhere else. */
#ifndef BC_AWSCREDS_H
#define BC_AWSCREDS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_aws_creds {
    char access_key[128];
    char secret_key[128];
    char token[4096]; /* "" for none */
};

/* Whether credentials can be had: the environment's keys, or a container endpoint named. */
bool bc_aws_creds_configured(void);
/* The current credentials into *out. 0, or a negative bc_err with the reason in err. */
int bc_aws_creds_get(struct bc_aws_creds *out, char *err, size_t errsize);
/* Whether a container credentials URL may be asked (the rule above). */
bool bc_aws_creds_url_allowed(const char *url);
/* Forgets the fetched credentials (tests). */
void bc_aws_creds_reset(void);

#endif
