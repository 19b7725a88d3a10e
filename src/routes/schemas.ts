/** Wire contracts (JSON Schema via TypeBox), shared by route declarations and the OpenAPI document. */
import Type from 'typebox';
import { COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES } from '../domain/status.ts';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });
const Enum = (values: readonly string[]) => Type.String({ enum: [...values] });

const ComponentStatusSchema = Enum(COMPONENT_STATUSES);

/**
 * A numeric row id (outbox events, deliveries, audit entries) as a request names it: bounded, so
 * an id no row can have (1e20 is an integer to JSON, not a bigint) is a 400 naming the field, not a 500.
 */
export const RowIdSchema = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const PageSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  time_zone: Type.String(),
  updated_at: Timestamp,
});

/** /embed/status.json: incident.io's widget feed shape, plus each component's key and each item's last update id. */
export const WidgetFeedSchema = (() => {
  const Impact = Enum(['degraded_performance', 'partial_outage', 'full_outage']);
  const Item = {
    id: Type.String(),
    name: Type.String(),
    url: Type.String(),
    last_update_at: Timestamp,
    last_update_message: Type.String(),
    last_update_id: Type.String(),
    affected_components: Type.Array(
      Type.Object({
        id: Type.String(),
        key: Type.String(),
        name: Type.String(),
        group_name: Type.Optional(Type.String()),
        current_status: Enum(['operational', 'degraded_performance', 'partial_outage', 'full_outage']),
      }),
    ),
  };
  return Type.Object({
    page_title: Type.String(),
    page_url: Type.String(),
    ongoing_incidents: Type.Array(Type.Object({ ...Item, status: Enum(['investigating', 'identified', 'monitoring']), current_worst_impact: Impact })),
    in_progress_maintenances: Type.Array(
      Type.Object({ ...Item, status: Enum(['maintenance_in_progress']), started_at: Timestamp, scheduled_end_at: Timestamp }),
    ),
    scheduled_maintenances: Type.Array(Type.Object({ ...Item, status: Enum(['maintenance_scheduled']), starts_at: Timestamp, ends_at: Timestamp })),
  });
})();

export const StatusSchema = Type.Object({ indicator: Enum(IMPACTS), description: Type.String() });

export const ComponentSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: ComponentStatusSchema,
  created_at: Timestamp,
  updated_at: Timestamp,
  position: Type.Integer(),
  description: Nullable(Type.String()),
  showcase: Type.Boolean(),
  start_date: Nullable(Type.String()),
  group_id: Nullable(Type.String()),
  page_id: Type.String(),
  group: Type.Boolean(),
  only_show_if_degraded: Type.Boolean(),
  components: Type.Optional(Type.Array(Type.String())),
});

const AffectedComponentSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  old_status: ComponentStatusSchema,
  new_status: ComponentStatusSchema,
});

const IncidentUpdateSchema = Type.Object({
  id: Type.String(),
  status: Enum([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]),
  body: Type.String(),
  incident_id: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  display_at: Timestamp,
  affected_components: Nullable(Type.Array(AffectedComponentSchema)),
  deliver_notifications: Type.Boolean(),
  custom_tweet: Type.Null(),
  tweet_id: Type.Null(),
});

export const IncidentSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Enum([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]),
  created_at: Timestamp,
  updated_at: Timestamp,
  monitoring_at: Nullable(Timestamp),
  resolved_at: Nullable(Timestamp),
  impact: Enum(IMPACTS),
  shortlink: Type.String(),
  started_at: Timestamp,
  page_id: Type.String(),
  incident_updates: Type.Array(IncidentUpdateSchema),
  components: Type.Array(ComponentSchema),
  postmortem_url: Nullable(Type.String()),
  source: Enum(['responder', 'heartbeat'] as const),
  scheduled_for: Type.Optional(Nullable(Timestamp)),
  scheduled_until: Type.Optional(Nullable(Timestamp)),
  scheduled_remind_prior: Type.Optional(Type.Boolean()),
  scheduled_reminded_at: Type.Optional(Nullable(Timestamp)),
  scheduled_auto_in_progress: Type.Optional(Type.Boolean()),
  scheduled_auto_completed: Type.Optional(Type.Boolean()),
});

const ErrorSchema = Type.Object({
  error: Type.String({ description: 'machine-readable code: invalid_input, unauthorized, forbidden, not_found, conflict, ...' }),
  message: Type.String(),
  field: Type.Optional(Type.String({ description: 'the offending field, for invalid_input' })),
});

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  created_by: Type.String(),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
});

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
};
