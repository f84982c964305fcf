/* The chat's language tables: messages, weekday and month names, date and time formats. */
#include "domain/chat_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const es[BC_T__COUNT] = {
#define XX(k, s, e) s,
    BC_CHAT_TEXTS(XX)
#undef XX
};
static const char *const en[BC_T__COUNT] = {
#define XX(k, s, e) e,
    BC_CHAT_TEXTS(XX)
#undef XX
};

static const char *const wd_es[] = {"",       "lunes",   "martes", "miércoles",
                                    "jueves", "viernes", "sábado", "domingo"};
static const char *const wd_en[] = {"",         "Monday", "Tuesday",  "Wednesday",
                                    "Thursday", "Friday", "Saturday", "Sunday"};
static const char *const wds_es[] = {"", "lun", "mar", "mié", "jue", "vie", "sáb", "dom"};
static const char *const wds_en[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const mo_es[] = {"",        "enero",     "febrero",  "marzo",  "abril",
                                    "mayo",    "junio",     "julio",    "agosto", "septiembre",
                                    "octubre", "noviembre", "diciembre"};
static const char *const mo_en[] = {"",     "January", "February",  "March",   "April",    "May",     "June",
                                    "July", "August",  "September", "October", "November", "December"};
static const char *const mos_es[] = {"",    "ene", "feb", "mar", "abr", "may", "jun",
                                     "jul", "ago", "sep", "oct", "nov", "dic"};
static const char *const mos_en[] = {"",    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool is_en(const char *lang)
{
    return lang && strncmp(lang, "en", 2) == 0;
}

const char *bc_chat_text(const char *lang, enum bc_chat_text key)
{
    if (key < 0 || key >= BC_T__COUNT) return "";
    return is_en(lang) ? en[key] : es[key];
}

static int clamp(int v, int lo, int hi)
{
    return v < lo || v > hi ? lo : v;
}

const char *bc_chat_weekday_name(const char *lang, int weekday)
{
    return (is_en(lang) ? wd_en : wd_es)[clamp(weekday, 0, 7)];
}

void bc_chat_format_date(const char *lang, int year, int month, int day, int weekday, char *out, size_t size)
{
    (void)year;
    weekday = clamp(weekday, 0, 7);
    month = clamp(month, 0, 12);
    if (is_en(lang))
        snprintf(out, size, "%s, %s %d", wd_en[weekday], mo_en[month], day);
    else
        snprintf(out, size, "%s %d de %s", wd_es[weekday], day, mo_es[month]);
}

void bc_chat_format_date_short(const char *lang, int month, int day, int weekday, char *out, size_t size)
{
    weekday = clamp(weekday, 0, 7);
    month = clamp(month, 0, 12);
    if (is_en(lang))
        snprintf(out, size, "%s, %s %d", wds_en[weekday], mos_en[month], day);
    else
        snprintf(out, size, "%s %d %s", wds_es[weekday], day, mos_es[month]);
}

void bc_chat_format_time(const char *lang, int hour, int minute, char *out, size_t size)
{
    if (is_en(lang)) {
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        snprintf(out, size, "%d:%02d %s", h12, minute, hour < 12 ? "am" : "pm");
    } else {
        snprintf(out, size, "%02d:%02d", hour, minute);
    }
}
