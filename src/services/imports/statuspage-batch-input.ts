/**
 * The contract of one import batch (`POST /api/v1/imports/statuspage`, importStatuspageBatch): what
 * Lifeline keeps of a Statuspage page, in Statuspage's field names. Its own file, so the parts of
 * the use-case (structure, history, templates, subscribers) take their types from it without an
 * import cycle.
 */
import Type, { type Static } from 'typebox';
import { COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES } from '../../domain/status.ts';
import { Enum, Timestamp } from '../shared/fields.ts';
import { TEMPLATE_STATUSES } from '../templates/template-input.ts';

/** A Statuspage id (12 lowercase letters and digits there; a little looser here). */
const SourceId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
/** Text is checked by the use-case (NUL, control characters, limits), which names the field. */
const Text = Type.String({ maxLength: 100_000 });
const NullableText = Type.Union([Text, Type.Null()]);
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const ComponentStatus = Enum(COMPONENT_STATUSES);

const Group = Type.Object(
  { id: SourceId, name: Text, description: NullableText, position: Type.Integer(), created_at: Timestamp },
  { additionalProperties: false },
);
const Component = Type.Object(
  {
    id: SourceId,
    name: Text,
    description: NullableText,
    group_id: Type.Union([SourceId, Type.Null()]),
    position: Type.Integer(),
    status: ComponentStatus,
    only_show_if_degraded: Type.Boolean(),
    start_date: Type.Union([Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), Type.Null()]),
    created_at: Timestamp,
  },
  { additionalProperties: false },
);
const AffectedComponent = Type.Object(
  { code: SourceId, name: Text, old_status: ComponentStatus, new_status: ComponentStatus },
  { additionalProperties: false },
);
const Update = Type.Object(
  {
    id: SourceId,
    status: Enum([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]),
    body: Text,
    created_at: Timestamp,
    display_at: Timestamp,
    deliver_notifications: Type.Boolean(),
    affected_components: Type.Array(AffectedComponent, { maxItems: 1000 }),
  },
  { additionalProperties: false },
);
const IMPACT_OVERRIDES = IMPACTS.filter((impact) => impact !== 'maintenance');
const Incident = Type.Object(
  {
    id: SourceId,
    kind: Enum(['incident', 'maintenance'] as const),
    name: Text,
    status: Enum([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]),
    impact: Enum(IMPACTS),
    // Optional: a batch from a CLI older than the column still reads.
    impact_override: Type.Optional(Type.Union([Enum(IMPACT_OVERRIDES), Type.Null()])),
    created_at: Timestamp,
    updated_at: Timestamp,
    started_at: NullableTimestamp,
    monitoring_at: NullableTimestamp,
    resolved_at: NullableTimestamp,
    scheduled_for: NullableTimestamp,
    scheduled_until: NullableTimestamp,
    auto_start: Type.Boolean(),
    auto_complete: Type.Boolean(),
    component_ids: Type.Array(SourceId, { maxItems: 1000 }),
    updates: Type.Array(Update, { maxItems: 1000 }),
  },
  { additionalProperties: false },
);
const Template = Type.Object(
  {
    id: SourceId,
    name: Text,
    title: Text,
    body: Text,
    status: Enum(TEMPLATE_STATUSES),
    components: Type.Record(Type.String(), ComponentStatus, { description: 'Statuspage component id → the status the template sets' }),
  },
  { additionalProperties: false },
);
const Subscriber = Type.Object(
  {
    id: SourceId,
    mode: Enum(['email', 'webhook'] as const),
    email: NullableText,
    endpoint: NullableText,
    state: Enum(['active', 'unconfirmed', 'quarantined'] as const),
    component_ids: Type.Union([Type.Array(SourceId, { maxItems: 1000 }), Type.Null()], { description: 'null: every component' }),
    created_at: Timestamp,
    quarantined_at: NullableTimestamp,
  },
  { additionalProperties: false },
);

export const ImportStatuspageBatchInput = Type.Object(
  {
    page_id: SourceId,
    groups: Type.Optional(Type.Array(Group, { maxItems: 500 })),
    components: Type.Optional(Type.Array(Component, { maxItems: 2000 })),
    incidents: Type.Optional(Type.Array(Incident, { maxItems: 100 })),
    templates: Type.Optional(Type.Array(Template, { maxItems: 500 })),
    subscribers: Type.Optional(Type.Array(Subscriber, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);
export type ImportStatuspageBatchInput = Static<typeof ImportStatuspageBatchInput>;
export type ImportBatchGroup = Static<typeof Group>;
export type ImportBatchComponent = Static<typeof Component>;
export type ImportBatchIncident = Static<typeof Incident>;
export type ImportBatchTemplate = Static<typeof Template>;
export type ImportBatchSubscriber = Static<typeof Subscriber>;
