/* Validation of IANA time-zone names against ICU's zone database. */
#ifndef BC_TZNAME_H
#define BC_TZNAME_H
#include <stdbool.h>

/* True when name is a zone ICU knows ("Europe/Madrid", "UTC"); false for unknown or malformed names. */
bool bc_tzname_valid(const char *name);

#endif
