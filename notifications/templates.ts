// What a notification says, per task kind, in Russian and English. A payload carries only what
// the message needs (task kind and title, lead id, due date, the offer's deadline): no client
// contacts — a manager reads those in the product, a partner gets them on hand-off.
export type Language = 'ru' | 'en';

export interface TaskPayload {
  taskKey: string;
  leadId: string;
  kind: string;
  title: string;
  assignee: string;
  dueAt?: string | null;
}

const SUBJECTS: Record<string, Record<Language, string>> = {
  first_contact: { ru: 'Позвоните клиенту', en: 'Call the lead' },
  sla_reminder: { ru: 'Напоминание: лид ждёт вас', en: 'Reminder: the lead is waiting for you' },
  sla_escalation: { ru: 'Эскалация: лидом никто не занимается', en: 'Escalation: a lead is not being worked' },
  repeat_inquiry: { ru: 'Клиент обратился снова', en: 'The client asked again' },
  reassigned: { ru: 'Вам передан лид', en: 'A lead was reassigned to you' },
  request_consent: { ru: 'Спросите согласие клиента', en: 'Ask the client for consent' },
  offer: { ru: 'Вам предложен лид', en: 'A lead is offered to you' },
  offer_withdrawn: { ru: 'Предложение отозвано', en: 'The offer is withdrawn' },
  stop_contact: { ru: 'Прекратите контакт с клиентом', en: 'Stop all contact with the client' },
  deal_checkin: { ru: 'Узнайте, как идёт сделка', en: 'Check in on the deal' },
  reengagement: { ru: 'Повторный контакт с клиентом', en: 'Re-engage the client' },
  not_distributed: { ru: 'Лид не распределён', en: 'A lead was not distributed' },
  stale_parked: { ru: 'Лид застрял', en: 'A lead went stale' },
  no_partner: { ru: 'Нет партнёра для лида', en: 'No partner left for a lead' },
  task_due: { ru: 'Срок задачи наступил', en: 'A task is due' },
  erasure_due: { ru: 'Персональные данные клиента будут удалены', en: "A client's personal data will be erased" },
};

/** Every task kind that has a template of its own (others are announced as "New task"). */
export const TASK_KINDS: readonly string[] = Object.keys(SUBJECTS);

const LINES: Record<Language, { lead: string; due: string; deadline: string; stop: string; answer: string; fallback: string }> = {
  ru: {
    lead: 'Лид',
    due: 'Срок',
    deadline: 'Ответьте до',
    stop: 'Клиент отозвал согласие: прекратите любой контакт, удалите его данные и подтвердите это нам.',
    answer: 'Примите или отклоните предложение до срока; без ответа оно истечёт.',
    fallback: 'Новая задача',
  },
  en: {
    lead: 'Lead',
    due: 'Due',
    deadline: 'Answer by',
    stop: 'The client withdrew consent: stop all contact, delete their data, and confirm this to us.',
    answer: 'Accept or decline the offer by the deadline; unanswered, it expires.',
    fallback: 'New task',
  },
};

const when = (iso: string, lang: Language) =>
  new Date(iso).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', { timeZone: 'Europe/Moscow', dateStyle: 'medium', timeStyle: 'short' }) +
  ' MSK';

/** Subject and plain text of the e-mail announcing a task. */
export function renderEmail(p: TaskPayload, lang: Language): { subject: string; text: string } {
  const l = LINES[lang];
  const subject = `${SUBJECTS[p.kind]?.[lang] ?? l.fallback} — ${l.lead} ${p.leadId.slice(0, 8)}`;
  const lines = [p.title, '', `${l.lead}: ${p.leadId}`];
  if (p.dueAt) lines.push(`${p.kind === 'offer' ? l.deadline : l.due}: ${when(p.dueAt, lang)}`);
  if (p.kind === 'offer') lines.push('', l.answer);
  if (p.kind === 'stop_contact') lines.push('', l.stop);
  return { subject, text: lines.join('\n') + '\n' };
}
