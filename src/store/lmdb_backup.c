/* Whole-store backups of the LMDB store backend (bc_store_backup, bc_store_restore): a compacted copy of
 * the environment, made durable, and its restore into a new directory followed by the store's check.
 *
 * DESIGN NOTES
 * - Backups (bc_store_backup) are mdb_env_copy2 with MDB_CP_COMPACT: one read transaction, so the copy is
 *   exactly the commits before it, while writers go on; restore opens the copy read-only without a lock
 *   file and copies it again into the new directory, then runs the integrity check on the result. */
#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsyncs path (a file or a directory); 0 or -1. */
static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Copies env compacted into dir (which must hold no store file) and makes the copy durable: the
 * environment runs with MDB_NOSYNC, so the copy is synced here. */
static int copy_env(MDB_env *env, const char *dir, char *err, size_t errsize)
{
    char file[4200];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errsize, "cannot create %s: %s", dir, strerror(errno));
        return BC_EIO;
    }
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    if (access(file, F_OK) == 0) {
        snprintf(err, errsize, "%s already holds a store: give an empty or new directory", dir);
        return BC_EINVALID;
    }
    /* one read transaction: the copy is the state of every commit before it, whatever writers do meanwhile */
    int rc = mdb_env_copy2(env, dir, MDB_CP_COMPACT);
    if (rc) {
        snprintf(err, errsize, "copy to %s failed: %s", dir, mdb_strerror(rc));
        return BC_EIO;
    }
    /* a copy holds what the store holds (personal data, hashes): private like the store */
    if (chmod(file, 0600) != 0 || fsync_path(file, O_RDONLY) != 0 ||
        fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
        snprintf(err, errsize, "cannot sync %s: %s", file, strerror(errno));
        return BC_EIO;
    }
    return 0;
}

int bc__lmdb_backup(struct bc_store *s, const char *dest_dir, char *err, size_t errsize)
{
    return copy_env(((struct bc__lmdb_store *)s)->env, dest_dir, err, errsize);
}

/* The directory part of a spec ("DIR?options"); 0 or BC_EINVALID. */
static int spec_dir(const char *spec, char *dir, size_t size)
{
    const char *q = strchr(spec, '?');
    size_t dl = q ? (size_t)(q - spec) : strlen(spec);
    if (dl == 0 || dl >= size) return BC_EINVALID;
    memcpy(dir, spec, dl);
    dir[dl] = '\0';
    return 0;
}

int bc__store_lmdb_restore(const char *spec, const char *backup_dir, char *err, size_t errsize)
{
    char dir[4096], file[4200];
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    struct bc_store *restored = NULL;
    json_t *report = NULL;
    int rc;
    if (spec_dir(spec, dir, sizeof dir) < 0) {
        snprintf(err, errsize, "lmdb: bad directory in store URL");
        return BC_EINVALID;
    }
    snprintf(file, sizeof file, "%s/data.mdb", backup_dir);
    if (access(file, R_OK) != 0) {
        snprintf(err, errsize, "%s is not a backup (no data.mdb)", backup_dir);
        return BC_EINVALID;
    }
    /* the backup is only read: no lock file is created in it */
    int mrc = mdb_env_create(&env);
    if (!mrc) mrc = mdb_env_set_maxdbs(env, 4);
    if (!mrc) mrc = mdb_env_open(env, backup_dir, MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0600);
    if (!mrc) mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (!mrc) mrc = mdb_dbi_open(txn, "items", 0, &dbi);
    if (!mrc) mrc = mdb_dbi_open(txn, "ttl", 0, &dbi);
    if (txn) mdb_txn_abort(txn);
    if (mrc) {
        snprintf(err, errsize, "%s is not a bookchat backup: %s", backup_dir, mdb_strerror(mrc));
        rc = BC_EINVALID;
        goto out;
    }
    if ((rc = copy_env(env, dir, err, errsize)) < 0) goto out;
    mdb_env_close(env);
    env = NULL;
    /* the restored store must pass the same check as `bookchat store check` */
    if ((rc = bc__store_lmdb_open(spec, &restored, err, errsize)) < 0) goto out;
    rc = restored->ops->check(restored, &report);
    if (rc < 0) snprintf(err, errsize, "the restored store fails its check");
out:
    if (env) mdb_env_close(env);
    if (restored) bc__lmdb_close(restored);
    json_decref(report);
    return rc;
}
