/* The words of the booking chat, one table per language (chat_text.c). To add a language: add a column to
 * the BC_CHAT_TEXTS table and its weekday/month names, and vocabulary tables to the NLU (docs/nlu.md). */
#ifndef BC_CHAT_TEXT_H
#define BC_CHAT_TEXT_H
#include <stddef.h>

/* XX(KEY, "Spanish", "English"); printf-style where arguments are noted. */
#define BC_CHAT_TEXTS(XX)                                                                                     \
    XX(ASK_SERVICE, "¿Qué servicio quieres reservar?", "Which service would you like to book?")               \
    XX(WHICH_SERVICE, "¿Cuál de estos quieres?", "Which of these do you mean?")                               \
    XX(NO_SERVICES, "Ahora mismo no hay servicios que se puedan reservar por aquí.",                          \
       "There are no services to book here right now.")                                                       \
    XX(ASK_PROVIDER, "¿Con quién quieres la cita de %s?", "Who would you like to see for %s?")                \
    XX(NOBODY, "Ahora mismo nadie ofrece %s. ¿Quieres otro servicio?",                                        \
       "Nobody offers %s right now. Would you like another service?")                                         \
    XX(ASK_DAY, "¿Qué día te viene bien? Estos son los próximos días con huecos:",                            \
       "Which day suits you? These are the next days with free times:")                                       \
    XX(ASK_DAY_FREE, "Dime el día que prefieras (por ejemplo «el jueves» o «el 15 de diciembre»).",           \
       "Tell me the day you prefer (for example \"Thursday\" or \"December 15\").")                           \
    XX(NO_DAYS, "No hay huecos libres en las próximas semanas. Si quieres, te paso con una persona.",         \
       "There are no free times in the coming weeks. I can put you in touch with someone if you like.")       \
    XX(DAY_FULL,                                                                                              \
       "El %s no hay huecos libres. Estos días sí:", "There are no free times on %s. These days do:")         \
    XX(DAY_HOLIDAY, "Ese día está cerrado (festivo: %s). Estos días sí:",                                     \
       "We're closed that day (holiday: %s). These days are open:")                                           \
    XX(DAY_PAST,                                                                                              \
       "Ese día ya no se puede reservar. Estos días sí:", "That day can't be booked. These days can:")        \
    XX(ASK_TIME, "Horas libres el %s:", "Free times on %s:")                                                  \
    XX(ASK_TIME_PART, "Horas libres el %s por la %s:", "Free times on %s in the %s:")                         \
    XX(SEATS_NOTE, "Es una sesión en grupo: junto a cada hora, las plazas que quedan.",                       \
       "It is a group session: next to each time, the places left.")                                          \
    XX(SEATS_LABEL, "%s · %d plazas", "%s · %d places left")                                                  \
    XX(SEATS_LABEL_ONE, "%s · última plaza", "%s · last place")                                               \
    XX(TIME_TAKEN, "A las %s no hay hueco el %s.", "%s is not available on %s.")                              \
    XX(WINDOW_FIRST, "El %s %s, lo primero libre es a las %s.", "On %s %s, the earliest free time is %s.")    \
    XX(WINDOW_LAST, "El %s %s, lo último libre es a las %s.", "On %s %s, the latest free time is %s.")        \
    XX(WINDOW_NONE, "El %s no queda nada libre %s.", "There is nothing free on %s %s.")                       \
    XX(PRO_TAKEN, "%s no está libre a las %s el %s; estas son sus horas más cercanas.",                       \
       "%s is not free at %s on %s; these are the nearest free times.")                                       \
    XX(JUST_TAKEN, "Vaya, esa hora se acaba de ocupar. Elige otra:",                                          \
       "Oops, that time was just taken. Please pick another:")                                                \
    XX(ASK_NAME, "Te guardo %s. ¿A nombre de quién hago la reserva?",                                         \
       "I'm holding %s for you. What name should the booking be under?")                                      \
    XX(ASK_CONTACT, "Gracias, %s. ¿Me dejas un email o un teléfono de contacto?",                             \
       "Thanks, %s. What's an e-mail address or phone number to reach you?")                                  \
    XX(BAD_CONTACT,                                                                                           \
       "No he reconocido un email o un teléfono. Escribe, por ejemplo, ana@ejemplo.com o 612 345 678.",       \
       "I didn't recognise an e-mail or a phone number. Type, for example, ana@example.com or 555 123 "       \
       "4567.")                                                                                               \
    XX(CONFIRM, "¿Confirmo la reserva?\n%s con %s\n%s\nA nombre de %s (%s)",                                  \
       "Shall I confirm the booking?\n%s with %s\n%s\nFor %s (%s)")                                           \
    XX(BOOKED, "¡Hecho! Tu reserva está confirmada: %s, %s. Tu código es %s.",                                \
       "Done! Your booking is confirmed: %s, %s. Your code is %s.")                                           \
    XX(WHAT_CHANGE, "¿Qué quieres cambiar?", "What would you like to change?")                                \
    XX(LIMIT_BOOKINGS,                                                                                        \
       "Lo siento, este mes ya no se pueden hacer más reservas online. Llama al negocio, por favor.",         \
       "Sorry, no more online bookings can be made this month. Please call the business.")                    \
    XX(HOURS, "Nuestro horario:\n%s", "Our opening hours:\n%s")                                               \
    XX(NO_HOURS, "Todavía no tengo el horario publicado.", "The opening hours are not published yet.")        \
    XX(PRICES, "Precios:\n%s", "Prices:\n%s")                                                                 \
    XX(LOCATION, "Estamos en %s.", "We're at %s.")                                                            \
    XX(NO_LOCATION, "No tengo la dirección a mano; una persona del equipo te la puede dar.",                  \
       "I don't have the address at hand; someone from the team can give it to you.")                         \
    XX(NOT_UNDERSTOOD, "Perdona, no te he entendido.", "Sorry, I didn't get that.")                           \
    XX(OFFER_HUMAN, "Si lo prefieres, te paso con una persona del equipo.",                                   \
       "If you prefer, I can put you in touch with someone from the team.")                                   \
    XX(HANDOFF_ASK, "Claro. ¿Cómo te podemos contactar? Déjame un email o un teléfono.",                      \
       "Of course. How can we reach you? Leave me an e-mail or a phone number.")                              \
    XX(HANDOFF_DONE, "Gracias. Una persona del equipo te contactará lo antes posible.",                       \
       "Thank you. Someone from the team will contact you as soon as possible.")                              \
    XX(CANCEL_ASK_CODE, "Para anular tu cita necesito el código de la reserva (por ejemplo K7M2QX).",         \
       "To cancel your booking I need its code (for example K7M2QX).")                                        \
    XX(RESCHED_ASK_CODE, "Para cambiar tu cita necesito el código de la reserva (por ejemplo K7M2QX).",       \
       "To move your booking I need its code (for example K7M2QX).")                                          \
    XX(ASK_CODE_CONTACT, "¿Y el email o el teléfono con el que reservaste?",                                  \
       "And the e-mail or phone number you booked with?")                                                     \
    XX(NO_SUCH_BOOKING, "No encuentro ninguna reserva activa con ese código y esos datos.",                   \
       "I can't find an active booking with that code and those details.")                                    \
    XX(CANCEL_CONFIRM, "¿Anulo tu cita de %s, %s?", "Shall I cancel your %s booking, %s?")                    \
    XX(CANCELLED, "Tu cita queda anulada. ¿Quieres reservar otra?",                                           \
       "Your booking is cancelled. Would you like to book another?")                                          \
    XX(KEPT, "De acuerdo, la dejo como está.", "All right, I'll leave it as it is.")                          \
    XX(TOO_LATE, "Ya no se puede cambiar online; llama al negocio, por favor.",                               \
       "It can no longer be changed online; please call the business.")                                       \
    XX(RESCHED_ASK_DAY, "¿A qué día quieres moverla? Días con huecos:",                                       \
       "Which day would you like to move it to? Days with free times:")                                       \
    XX(RESCHED_CONFIRM, "¿Cambio tu cita de %s a %s?", "Shall I move your %s booking to %s?")                 \
    XX(RESCHEDULED, "Listo, tu cita es ahora %s. El código sigue siendo %s.",                                 \
       "Done, your booking is now %s. The code is still %s.")                                                 \
    XX(LIMIT_MESSAGES,                                                                                        \
       "Lo sentimos, ahora mismo no podemos atender más mensajes por aquí. Contacta directamente con el "   \
       "negocio, por favor.",                                                                                 \
       "Sorry, we can't take more messages here right now. Please contact the business directly.")            \
    XX(THANKS, "¡De nada!", "You're welcome!")                                                                \
    XX(GOODBYE, "¡Hasta pronto!", "See you soon!")                                                            \
    XX(HELLO, "¡Hola!", "Hi!")                                                                                \
    XX(ASK_BRANCH, "¿En qué centro quieres la cita?", "Which of our locations would you like to book at?")    \
    XX(ANYTHING_ELSE, "¿Te ayudo con algo más?", "Can I help you with anything else?")                        \
    XX(L_ANY, "Me da igual", "No preference")                                                                 \
    XX(L_OTHER_DAY, "Otro día", "Another day")                                                                \
    XX(L_MORE_TIMES, "Más horas", "More times")                                                               \
    XX(L_YES_CONFIRM, "Sí, confirmar", "Yes, confirm")                                                        \
    XX(L_YES, "Sí", "Yes")                                                                                    \
    XX(L_NO, "No", "No")                                                                                      \
    XX(L_CHANGE, "Cambiar algo", "Change something")                                                          \
    XX(L_SERVICE, "Servicio", "Service")                                                                      \
    XX(L_PROVIDER, "Profesional", "Professional")                                                             \
    XX(L_DAY, "Día", "Day")                                                                                   \
    XX(L_TIME, "Hora", "Time")                                                                                \
    XX(L_DETAILS, "Mis datos", "My details")                                                                  \
    XX(L_START_OVER, "Empezar de nuevo", "Start over")                                                        \
    XX(L_HUMAN, "Hablar con una persona", "Talk to a person")                                                 \
    XX(L_CANCEL, "Anular una cita", "Cancel a booking")                                                       \
    XX(L_RESCHEDULE, "Cambiar una cita", "Move a booking")                                                    \
    XX(L_HOURS, "Horario", "Opening hours")                                                                   \
    XX(L_PRICES, "Precios", "Prices")                                                                         \
    XX(L_LOCATION, "Dirección", "Address")                                                                    \
    XX(L_NEW_BOOKING, "Hacer otra reserva", "Book again")                                                     \
    XX(L_BACK, "Atrás", "Back")                                                                               \
    XX(L_WAITLIST, "Avisadme si se libera", "Tell me if a time frees up")                                     \
    XX(WAITLIST_ASK_NAME, "Te apunto a la lista de espera del %s. ¿A nombre de quién?",                       \
       "I'll put you on the waitlist for %s. What name should I use?")                                        \
    XX(WAITLIST_JOINED,                                                                                       \
       "Listo, %s: estás en la lista de espera del %s. Si se libera una hora, te la guardamos unos minutos " \
       "y te avisamos aquí y por correo.",                                                                    \
       "Done, %s: you're on the waitlist for %s. If a time frees up, we'll hold it for you for a few "        \
       "minutes and tell you here and by e-mail.")                                                            \
    XX(WAITLIST_FAILED, "No he podido apuntarte a la lista de espera (quizá ya estás en ella).",              \
       "I couldn't put you on the waitlist (perhaps you're on it already).")                                  \
    XX(MORNING, "mañana", "morning")                                                                          \
    XX(AFTERNOON, "tarde", "afternoon")                                                                       \
    XX(EVENING, "noche", "evening")                                                                           \
    XX(WITH, "con", "with")                                                                                   \
    XX(ANYONE, "cualquier profesional", "any professional")

enum bc_chat_text {
#define XX(k, es, en) BC_T_##k,
    BC_CHAT_TEXTS(XX)
#undef XX
        BC_T__COUNT
};

/* The text in lang ("es", "en"; anything else falls back to Spanish, the seed's language). */
const char *bc_chat_text(const char *lang, enum bc_chat_text key);
/* "martes 1 de diciembre" / "Tuesday, December 1" (weekday 1 = Monday). */
void bc_chat_format_date(const char *lang, int year, int month, int day, int weekday, char *out, size_t size);
/* "mar 1 dic" / "Tue, Dec 1": a quick-reply label. */
void bc_chat_format_date_short(const char *lang, int month, int day, int weekday, char *out, size_t size);
/* "10:30" / "10:30 am". */
void bc_chat_format_time(const char *lang, int hour, int minute, char *out, size_t size);
/* "lunes" / "Monday". */
const char *bc_chat_weekday_name(const char *lang, int weekday);

#endif
