// The roster's request and response shapes: teams, managers, absences (zod: validation,
// serialisation and the OpenAPI document from one source).
import { z } from 'zod';
import { ABSENCE_KINDS } from '../domain/roster';
import { text, trimmedText } from '../domain/text';

const Id = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');
const Tags = z.array(trimmedText(100)).max(50);

export const TeamParams = z.object({ id: Id });
export const ManagerParams = z.object({ id: Id });
export const AbsenceParams = z.object({ id: Id, absenceId: z.string().uuid() });

export const TeamInput = z
  .object({
    id: Id.optional().describe('Chosen by the caller, else generated'),
    name: trimmedText(200),
    leadId: Id.nullable().optional().describe("The team lead: a manager's id"),
  })
  .strict();
export const TeamPatch = TeamInput.omit({ id: true }).partial().strict();

export const TeamView = z.object({
  id: z.string(),
  name: z.string(),
  leadId: z.string().nullable(),
  managers: z.array(z.string()).describe('Ids of the team'),
  createdAt: z.string(),
});

export const ManagerInput = z
  .object({
    id: Id.optional().describe('Chosen by the caller, else generated'),
    name: trimmedText(200),
    teamId: Id.nullable().optional(),
    teamLeadId: Id.nullable().optional().describe("The manager's team lead (a manager id); else the team's lead"),
    expertise: Tags.default([]).describe('Topics the manager knows (assignment scheme "expertise")'),
    territory: Tags.default([]).describe('Regions the manager covers'),
    capacity: z.number().int().min(0).max(10_000).nullable().optional().describe('Most open leads the manager takes; null: no limit'),
    email: z.string().email().max(320).nullable().optional().describe('Where notifications for this manager go'),
    apiSubject: text(64, 1).nullable().optional().describe('The subject of the API credential (API_KEYS) that identifies this person'),
    active: z.boolean().default(true),
  })
  .strict();
export const ManagerPatch = ManagerInput.omit({ id: true, expertise: true, territory: true, active: true })
  .extend({
    expertise: Tags,
    territory: Tags,
    active: z.boolean(),
  })
  .partial()
  .strict();

export const AbsenceInput = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('vacation'),
      from: z.string().datetime({ offset: true }),
      until: z.string().datetime({ offset: true }),
    })
    .strict(),
  z
    .object({
      kind: z.literal('sick_leave'),
      from: z.string().datetime({ offset: true }).optional().describe('Default: now'),
    })
    .strict()
    .describe('Open-ended: it lasts until POST …/absences/:absenceId/end'),
]);

export const AbsenceView = z.object({
  id: z.string(),
  managerId: z.string(),
  kind: z.enum(ABSENCE_KINDS),
  from: z.string(),
  until: z.string().nullable(),
  endedAt: z.string().nullable(),
  current: z.boolean().describe('It covers now'),
  createdBy: z.string(),
});

export const ManagerView = z.object({
  id: z.string(),
  name: z.string(),
  teamId: z.string().nullable(),
  teamLeadId: z.string().nullable(),
  expertise: z.array(z.string()),
  territory: z.array(z.string()),
  capacity: z.number().int().nullable(),
  email: z.string().nullable(),
  apiSubject: z.string().nullable(),
  active: z.boolean(),
  away: z.boolean().describe('An absence covers now'),
  openLeads: z.number().int(),
  absences: z.array(AbsenceView).describe('Current and coming absences'),
  createdAt: z.string(),
});

/** A change that takes a manager away also answers how many open leads were sent for reassignment. */
export const ManagerChange = ManagerView.extend({
  leadsReassigned: z.number().int().describe('Open leads told to find another manager'),
});
