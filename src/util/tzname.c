/* ICU lookup of a zone id: ucal_getCanonicalTimeZoneID fails for ids it does not know. */
#include "util/tzname.h"

#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

bool bc_tzname_valid(const char *name)
{
    if (!name || !*name || strlen(name) > 64) return false;
    UChar id[80], canon[80];
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(id, 80, NULL, name, -1, &st);
    if (U_FAILURE(st)) return false;
    UBool system = 0;
    ucal_getCanonicalTimeZoneID(id, -1, canon, 80, &system, &st);
    return U_SUCCESS(st) && system;
}
