// The console's two languages. A person's choice (a cookie) wins; else the browser's
// Accept-Language; else English. Stage, action and field names not listed show as they are.
export const LANGS = ['en', 'ru'] as const;
export type Lang = (typeof LANGS)[number];

const en = {
  title: 'Lead console', skip: 'Skip to content', signIn: 'Sign in', signOut: 'Sign out', credential: 'Your API credential',
  credentialHelp: 'The key you were given (npm start prints where the demo keys are).', badCredential: 'This credential is not valid.',
  signedInAs: 'Signed in as', work: 'My work', team: 'Team', ops: 'Ops', leads: 'Leads', funnel: 'Funnel', partner: 'Offers and deals',
  money: 'Statement', upload: 'Sent leads', noTasks: 'Nothing due. Well done.', due: 'due', overdue: 'overdue',
  dueIn: 'due in {t} of working time', overdueBy: 'overdue by {t} of working time', noDue: 'no due date', open: 'Open',
  lead: 'Lead', stage: 'Stage', deal: 'Deal', manager: 'Manager', source: 'Source', topic: 'Topic', region: 'Region',
  stale: 'stale', timeline: 'Timeline', when: 'When', who: 'Who', what: 'What', why: 'Why', contact: 'Contact',
  contactHidden: 'Contact data is not available to you for this lead.', nextTask: 'Next task', noNextTask: 'No open task on this lead.',
  actions: 'Actions', noActions: 'No action fits this stage.', submit: 'Save', refused: 'Refused', invalid: 'Not saved: check the fields',
  done: 'Done.', temporal: 'Workflow in Temporal', yes: 'Yes', no: 'No', choose: '— choose —', teamQueue: "The team's queue",
  staleLeads: 'Stale leads', escalated: 'Escalated to me', none: 'None.', reassign: 'Reassign', roster: 'Roster', alarms: 'Alarms',
  acknowledge: 'Acknowledge', resolve: 'Resolve', teams: 'Teams', managers: 'Managers', active: 'active', inactive: 'inactive',
  away: 'away', openLeads: 'open leads', byWeek: 'By week', byMonth: 'By month', targetShare: 'Target share (target / reached)',
  line60: '60 % line', conversion: 'Conversion per step', step: 'Step', count: 'Count', fromPrevious: 'of previous',
  offers: 'Offers', accept: 'Accept', decline: 'Decline', reason: 'Reason (optional)', answerBy: 'answer by {t}', deals: 'My deals',
  statement: 'Statement', balances: 'Balances', entries: 'Ledger entries', payouts: 'Payouts', uploadHelp:
    'The weekly list of leads you sent us, as CSV with the header externalId,sentAt,phone,email. Pick the file, or paste its text.',
  csvFile: 'CSV file', csvText: 'CSV text', uploadButton: 'Upload', uploaded: 'Uploaded: {n} rows.', notFound: 'Not found.', forbidden: 'Not allowed.',
  csrf: 'The form expired or came from elsewhere. Reload the page and try again.', unavailable: 'A service is unavailable; try again shortly.',
  period: 'Period', leadsCount: 'leads', all: 'All', onlyOverdue: 'Overdue only', amount: 'Amount', status: 'Status', kind: 'Kind',
  language: 'Language', home: 'Home', back: 'Back',
  commaSeparated: 'Separate several with commas.', newLead: 'New lead', newLeadHelp:
    'The same intake as POST /leads: the lead is de-duplicated, and its workflow assigns it to a manager at once.',
  takeIn: 'Take the lead in', attached: 'A repeat inquiry: added to the lead this contact already has.',
  registered: 'Taken in; its workflow starts as soon as Temporal answers.', addManager: 'Add a manager', addPartner: 'Add a partner',
  partners: 'Partners', added: 'Added: {who}.', expertise: 'Expertise', grade: 'Grade',
  unlinked: 'Sign-in credentials with no roster entry yet: {list}.',
  managerIdHint: "A sales manager's work list shows the tasks of the manager whose id is their credential's subject.",
  partnerIdHint: "A partner signs in with a credential whose subject is this id.",
  partnerExpertiseHint: 'A consented lead is offered to a partner whose expertise includes its topic.',
  topicHint: "What the client asks for; a lead handed to a partner needs one, matching a partner's expertise.", takenIn: 'Lead taken in.',
};
type Key = keyof typeof en;

const ru: Record<Key, string> = {
  title: 'Консоль лидов', skip: 'К содержанию', signIn: 'Войти', signOut: 'Выйти', credential: 'Ваш ключ API',
  credentialHelp: 'Ключ, который вам выдали (npm start печатает, где лежат демо-ключи).', badCredential: 'Этот ключ не подходит.',
  signedInAs: 'Вы вошли как', work: 'Мои задачи', team: 'Команда', ops: 'Операции', leads: 'Лиды', funnel: 'Воронка',
  partner: 'Предложения и сделки', money: 'Выписка', upload: 'Отправленные лиды', noTasks: 'Ничего не горит. Отлично.',
  due: 'срок', overdue: 'просрочено', dueIn: 'срок через {t} рабочего времени', overdueBy: 'просрочено на {t} рабочего времени',
  noDue: 'без срока', open: 'Открыть', lead: 'Лид', stage: 'Этап', deal: 'Сделка', manager: 'Менеджер', source: 'Источник',
  topic: 'Тема', region: 'Регион', stale: 'завис', timeline: 'История', when: 'Когда', who: 'Кто', what: 'Что', why: 'Почему',
  contact: 'Контакт', contactHidden: 'Контактные данные этого лида вам недоступны.', nextTask: 'Следующая задача',
  noNextTask: 'Открытых задач по лиду нет.', actions: 'Действия', noActions: 'На этом этапе действий нет.', submit: 'Сохранить',
  refused: 'Отказано', invalid: 'Не сохранено: проверьте поля', done: 'Готово.', temporal: 'Процесс в Temporal', yes: 'Да',
  no: 'Нет', choose: '— выберите —', teamQueue: 'Очередь команды', staleLeads: 'Зависшие лиды', escalated: 'Эскалировано мне',
  none: 'Нет.', reassign: 'Передать', roster: 'Состав', alarms: 'Тревоги', acknowledge: 'Принять', resolve: 'Закрыть',
  teams: 'Команды', managers: 'Менеджеры', active: 'активен', inactive: 'не активен', away: 'отсутствует', openLeads: 'открытых лидов',
  byWeek: 'По неделям', byMonth: 'По месяцам', targetShare: 'Доля целевых (целевые / дозвон)', line60: 'линия 60 %',
  conversion: 'Конверсия по шагам', step: 'Шаг', count: 'Число', fromPrevious: 'от предыдущего', offers: 'Предложения',
  accept: 'Принять', decline: 'Отказаться', reason: 'Причина (необязательно)', answerBy: 'ответить до {t}', deals: 'Мои сделки',
  statement: 'Выписка', balances: 'Остатки', entries: 'Проводки', payouts: 'Выплаты', uploadHelp:
    'Еженедельный список отправленных нам лидов: CSV с заголовком externalId,sentAt,phone,email. Выберите файл или вставьте текст.',
  csvFile: 'Файл CSV', csvText: 'Текст CSV', uploadButton: 'Загрузить', uploaded: 'Загружено строк: {n}.', notFound: 'Не найдено.', forbidden: 'Нет доступа.',
  csrf: 'Форма устарела или пришла не отсюда. Обновите страницу и попробуйте снова.', unavailable: 'Сервис недоступен; попробуйте чуть позже.',
  period: 'Период', leadsCount: 'лидов', all: 'Все', onlyOverdue: 'Только просроченные', amount: 'Сумма', status: 'Статус', kind: 'Вид',
  language: 'Язык', home: 'Главная', back: 'Назад',
  commaSeparated: 'Несколько значений — через запятую.', newLead: 'Новый лид', newLeadHelp:
    'Тот же приём, что POST /leads: лид проверяется на дубли, и его процесс сразу назначает менеджера.',
  takeIn: 'Принять лид', attached: 'Повторное обращение: добавлено к лиду, который у этого контакта уже есть.',
  registered: 'Принят; его процесс запустится, как только Temporal ответит.', addManager: 'Добавить менеджера',
  addPartner: 'Добавить партнёра', partners: 'Партнёры', added: 'Добавлено: {who}.', expertise: 'Экспертиза', grade: 'Оценка',
  unlinked: 'Ключи входа, которых ещё нет в составе: {list}.',
  managerIdHint: 'В «Моих задачах» менеджер продаж видит задачи менеджера, чей id равен субъекту его ключа.',
  partnerIdHint: 'Партнёр входит с ключом, субъект которого равен этому id.',
  partnerExpertiseHint: 'Лид с согласием предлагается партнёру, в экспертизе которого есть его тема.',
  topicHint: 'О чём просит клиент; лиду для партнёра тема нужна — совпадающая с экспертизой партнёра.', takenIn: 'Лид принят.',
};

/** Names of stages, actions and form fields; what is missing shows as the API names it. */
const names: Record<Lang, Record<string, string>> = {
  en: {
    verification: 'verification', awaiting_first_contact: 'awaiting first contact', qualifying: 'qualifying',
    awaiting_consent: 'awaiting consent', partner_offer: 'offered to a partner', reengagement: 're-engagement',
    'action.verify': 'Verify the inquiry', 'action.contact': 'Record a call', 'action.qualify': 'Qualify',
    'action.consent': "Record the client's consent answer", 'action.consent-withdraw': 'Consent withdrawn',
    'action.partner-response': "Partner's answer", 'action.deal': 'Advance the deal', 'action.lost': 'Deal lost',
    'action.payments': 'Record a payment', 'action.reengagement': 'Re-engagement outcome', 'action.reassign': 'Reassign',
    'action.opt-out': 'Client opts out', 'variant.target.true': 'Target', 'variant.target.false': 'Not target',
    outcome: 'Outcome', note: 'Note', target: 'Target', route: 'Route', budgetMinor: 'Budget (minor units)', compare: 'Partners to compare',
    given: 'Consent given', askedBy: 'Asked by', channel: 'Channel', wording: 'Wording, as said', partnerId: 'Partner', accepted: 'Accepted',
    to: 'Move to', valueMinor: 'Contract value (minor units)', currency: 'Currency', paymentId: 'Payment id',
    amountMinor: 'Amount (minor units)', managerId: 'Manager', personFound: 'Person found', reason: 'Reason',
    personName: 'Name', companyName: 'Company', leads: 'Leads', deals: 'Deals', contracts: 'Contracts',
    // The roster's and intake's fields (nested ones by their dotted names).
    id: 'Id', name: 'Name', phone: 'Phone', email: 'E-mail', teamId: 'Team', teamLeadId: 'Team lead', expertise: 'Expertise (topics)',
    territory: 'Territory (regions)', capacity: 'Capacity', apiSubject: 'API credential subject', active: 'Active', regions: 'Regions',
    priceNicheMinor: 'Usual project size (minor units)', reserveFor: 'Reserve partner for (topics)', handoffEmail: 'Hand-off e-mail',
    handoffPhone: 'Hand-off phone', topic: 'Topic', region: 'Region', 'source.channel': 'Source channel',
    'source.partnerId': 'Referring partner', 'source.campaign': 'Campaign', 'source.externalId': "Partner's id for the lead",
    'person.name': "Person's name", 'company.name': 'Company name', 'company.switchboardPhone': 'Company switchboard phone',
  },
  ru: {
    verification: 'проверка', awaiting_first_contact: 'ждёт первого звонка', qualifying: 'квалификация',
    awaiting_consent: 'ждёт согласия', partner_offer: 'предложен партнёру', deal: 'сделка', won: 'выиграна', reengagement: 'возврат',
    closed: 'закрыт', meeting: 'встреча', proposal: 'предложение', negotiation: 'переговоры', contract: 'договор', payment: 'оплата',
    reached: 'дозвонились', no_answer: 'не ответил', refused: 'отказался', ours: 'наш', returned: 'вернулся', declined: 'отказался',
    phone: 'телефон', email: 'e-mail', messenger: 'мессенджер', in_person: 'лично', web_form: 'веб-форма',
    'action.verify': 'Проверить обращение', 'action.contact': 'Записать звонок', 'action.qualify': 'Квалифицировать',
    'action.consent': 'Ответ клиента о согласии', 'action.consent-withdraw': 'Согласие отозвано',
    'action.partner-response': 'Ответ партнёра', 'action.deal': 'Продвинуть сделку', 'action.lost': 'Сделка потеряна',
    'action.payments': 'Записать платёж', 'action.reengagement': 'Итог повторного касания', 'action.reassign': 'Передать другому',
    'action.opt-out': 'Клиент отказался от контактов', 'variant.target.true': 'Целевой', 'variant.target.false': 'Нецелевой',
    outcome: 'Итог', note: 'Заметка', target: 'Целевой', route: 'Куда', budgetMinor: 'Бюджет (в копейках)', compare: 'Партнёров для сравнения',
    given: 'Согласие дано', askedBy: 'Кто спросил', channel: 'Канал', wording: 'Формулировка, как сказано', partnerId: 'Партнёр',
    accepted: 'Принято', to: 'Перейти к', valueMinor: 'Сумма договора (в копейках)', currency: 'Валюта', paymentId: 'Номер платежа',
    amountMinor: 'Сумма (в копейках)', managerId: 'Менеджер', personFound: 'Человек найден', reason: 'Причина',
    personName: 'Имя', companyName: 'Компания', leads: 'Лиды', deals: 'Сделки', contracts: 'Договоры',
    contacted: 'дозвонились', assigned: 'назначен', received: 'получен', qualified: 'квалифицирован', consent_given: 'согласие дано',
    partner_accepted: 'партнёр принял', partner_declined: 'партнёр отказался', reassigned: 'передан', deal_proposal: 'предложение',
    id: 'Id', name: 'Имя', teamId: 'Команда', teamLeadId: 'Руководитель', expertise: 'Экспертиза (темы)', territory: 'Территория (регионы)',
    capacity: 'Вместимость', apiSubject: 'Субъект ключа API', active: 'Активен', regions: 'Регионы',
    priceNicheMinor: 'Обычный размер проекта (в копейках)', reserveFor: 'Резервный партнёр для (темы)', handoffEmail: 'E-mail для передачи',
    handoffPhone: 'Телефон для передачи', topic: 'Тема', region: 'Регион', 'source.channel': 'Канал обращения',
    'source.partnerId': 'Партнёр-источник', 'source.campaign': 'Кампания', 'source.externalId': 'Id лида у партнёра',
    'person.name': 'Имя человека', 'company.name': 'Компания', 'company.switchboardPhone': 'Телефон компании', event: 'мероприятие',
    referral: 'рекомендация', outbound: 'исходящий', other: 'другое',
  },
};

export function t(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  const s = (lang === 'ru' ? ru : en)[key];
  return s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

/** A stage, action (`action.<path>`), enum value or field name in the person's language. */
export const nameOf = (lang: Lang, key: string): string => names[lang][key] ?? names.en[key] ?? key.replace(/_/g, ' ');

/** The language: the person's choice, else the first of Accept-Language we speak, else English. */
export function pickLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (cookie === 'ru' || cookie === 'en') return cookie;
  const wanted = (acceptLanguage ?? '').split(',')
    .map((part) => { const [tag, q] = part.trim().split(';q='); return { tag: (tag ?? '').toLowerCase().slice(0, 2), q: q ? Number(q) : 1 }; })
    .filter((x) => x.tag && !Number.isNaN(x.q)).sort((a, b) => b.q - a.q);
  return (wanted.find((x) => x.tag === 'ru' || x.tag === 'en')?.tag as Lang | undefined) ?? 'en';
}

/** "3 h 20 min" / "3 ч 20 мин". */
export function duration(lang: Lang, ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  const h = Math.floor(min / 60);
  const m = min % 60;
  const [hu, mu] = lang === 'ru' ? ['ч', 'мин'] : ['h', 'min'];
  return h ? `${h} ${hu}${m ? ` ${m} ${mu}` : ''}` : `${m} ${mu}`;
}

// One formatter per language: making an Intl.DateTimeFormat costs far more than using one.
const FORMATS: Record<Lang, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Moscow' }),
  ru: new Intl.DateTimeFormat('ru-RU', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Moscow' }),
};

export function dateTime(lang: Lang, iso: string | null | undefined): string {
  return iso ? FORMATS[lang].format(new Date(iso)) : '';
}
