/* Creation and release of the domain environment (env.h): the store and its caches, built together so
 * that nothing cached for one store can be seen through another. */
#include "domain/env.h"

#include <stdlib.h>

struct bc_env *bc_env_new(struct bc_store *store)
{
    struct bc_env *env = calloc(1, sizeof *env);
    if (!env) return NULL;
    env->store = store;
    env->retention_s = 30LL * 86400;
    return env;
}

void bc_env_free(struct bc_env *env)
{
    if (!env) return;
    free(env);
}
