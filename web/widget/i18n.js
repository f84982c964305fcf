// The widget's own words (the chat's words come from the server, in the conversation's language).
const TEXTS = {
  es: {
    open: 'Abrir el chat de reservas',
    close: 'Cerrar el chat',
    subtitle: 'Reserva tu cita en un minuto',
    placeholder: 'Escribe tu mensaje…',
    input: 'Tu mensaje',
    send: 'Enviar',
    restart: 'Empezar una conversación nueva',
    typing: 'Escribiendo…',
    you: 'Tú:',
    bot: 'Asistente:',
    replies: 'Respuestas sugeridas',
    booked: 'Cita confirmada',
    code: 'Código',
    service: 'Servicio',
    provider: 'Profesional',
    when: 'Cuándo',
    ics: 'Añadir al calendario',
    keep: 'Guarda el código: lo necesitarás para cambiar o anular la cita.',
    acceptOffer: 'Reservar esta hora',
    offlineTitle: 'Sin conexión',
    offline: 'No podemos conectar con el servicio de reservas. Comprueba tu conexión e inténtalo de nuevo.',
    retry: 'Reintentar',
    sendFailed: 'No se ha podido enviar tu mensaje. Comprueba tu conexión.',
    error: 'Algo ha fallado por nuestra parte. Inténtalo de nuevo en unos segundos.',
    slow: 'Vas muy rápido. Espera unos segundos y vuelve a intentarlo.',
    limit: 'Ahora mismo no podemos atender más mensajes por el chat. Ponte en contacto con el negocio directamente.',
    unavailableTitle: 'Chat no disponible',
    unavailable: 'El chat de reservas no está disponible en esta página.',
    owner: 'Si esta web es tuya, añade {origin} a los orígenes permitidos de la clave del widget.',
    expired: 'La conversación anterior ha caducado. Empezamos de nuevo.',
    loading: 'Cargando…',
    powered: 'Funciona con bookchat',
  },
  en: {
    open: 'Open the booking chat',
    close: 'Close the chat',
    subtitle: 'Book your appointment in a minute',
    placeholder: 'Type your message…',
    input: 'Your message',
    send: 'Send',
    restart: 'Start a new conversation',
    typing: 'Typing…',
    you: 'You:',
    bot: 'Assistant:',
    replies: 'Suggested replies',
    booked: 'Appointment confirmed',
    code: 'Code',
    service: 'Service',
    provider: 'Professional',
    when: 'When',
    ics: 'Add to calendar',
    keep: 'Keep the code: you need it to change or cancel the appointment.',
    acceptOffer: 'Book this time',
    offlineTitle: 'No connection',
    offline: 'We cannot reach the booking service. Check your connection and try again.',
    retry: 'Try again',
    sendFailed: 'Your message could not be sent. Check your connection.',
    error: 'Something went wrong on our side. Try again in a few seconds.',
    slow: 'You are going a bit fast. Wait a few seconds and try again.',
    limit: 'We cannot take more chat messages right now. Please contact the business directly.',
    unavailableTitle: 'Chat unavailable',
    unavailable: 'The booking chat is not available on this page.',
    owner: 'If this is your site, add {origin} to the allowed origins of the widget key.',
    expired: 'The previous conversation has expired. Let us start again.',
    loading: 'Loading…',
    powered: 'Powered by bookchat',
  },
};

export function texts(lang) {
  return TEXTS[lang] || TEXTS[String(lang || '').slice(0, 2)] || TEXTS.es;
}

export function pickLang(...candidates) {
  for (const c of candidates) {
    const l = String(c || '').slice(0, 2).toLowerCase();
    if (TEXTS[l]) return l;
  }
  return 'es';
}
