// The Web UI shows a lead's topic and region, free text a client may have typed contact details into.
import { masked, staticSummaryOf } from '../../workflows/ops-view';

test('phones and e-mails typed into a free-text field are masked; the rest is kept on one bounded line', () => {
  expect(masked('CRM for 20 seats')).toBe('CRM for 20 seats');
  expect(masked('call 8 (916) 123-45-67 after 6')).toBe('call … after 6');
  expect(masked('+79161234567')).toBe('…');
  expect(masked('write to ivan.petrov@example.ru\nor +7 916 123 45 67')).toBe('write to … or …');
  expect(masked('   ')).toBeUndefined();
  expect(masked('x'.repeat(100))).toHaveLength(60);
});

test('the static summary reads source · topic · region · kind, with a partner source named by its id', () => {
  expect(staticSummaryOf({ leadId: 'l1', kind: 'lead', sourceChannel: 'web_form', topic: 'crm', region: 'Moscow' })).toBe(
    'web_form · crm · Moscow · lead',
  );
  expect(staticSummaryOf({ leadId: 'l2', kind: 'interest', sourceChannel: 'partner', partnerId: 'ptn-7' })).toBe(
    'partner (ptn-7) · no topic · no region · company inquiry',
  );
});
