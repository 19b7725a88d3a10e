/**
 * Ids from before a page was moved over (`lifeline import statuspage` keeps each Statuspage id as
 * an alias of the row it became): a tool configured with them keeps working. One hook reads every
 * id a request carries (path parameters; `components`, `component_ids` and `group_id` in its
 * wrapper), asks once which ones moved, and puts the Lifeline ids in their place before any route
 * sees the request.
 */
import type { FastifyRequest } from 'fastify';
import { findMovedIds, movedIdKey } from '../../queries/statuspage-v1.ts';

type ImportedKind = Parameters<typeof movedIdKey>[0];

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a path parameter names, by its name (`component_id`, `incident_id`, `component_group_id`, …). */
function kindOfParam(name: string): ImportedKind | null {
  if (name === 'page_id' || !name.endsWith('_id')) return null;
  if (name.includes('group')) return 'component_group';
  if (name.includes('update')) return 'incident_update';
  if (name.includes('template')) return 'incident_template';
  if (name.includes('subscriber')) return 'subscriber';
  if (name.includes('incident')) return 'incident';
  return 'component';
}

/** Every (kind, place) where an id sits in the request, with a setter for its new value. */
function idSlots(request: FastifyRequest): { kind: ImportedKind; id: string; set: (id: string) => void }[] {
  const slots: { kind: ImportedKind; id: string; set: (id: string) => void }[] = [];
  const params = request.params as Fields | undefined;
  for (const [name, value] of Object.entries(params ?? {})) {
    const kind = kindOfParam(name);
    if (kind && typeof value === 'string') slots.push({ kind, id: value, set: (id) => (params![name] = id) });
  }
  const body = request.body;
  for (const inner of isObject(body) ? Object.values(body) : []) {
    if (!isObject(inner)) continue;
    const { components, component_ids: componentIds, group_id: groupId } = inner;
    if (isObject(components)) {
      // `{id: status}`: the key is the id; rebuilt so the order stays.
      for (const key of Object.keys(components)) {
        slots.push({
          kind: 'component',
          id: key,
          set: (id) => {
            if (id in components) return;
            components[id] = components[key];
            delete components[key];
          },
        });
      }
    }
    for (const list of [components, componentIds]) {
      if (Array.isArray(list))
        list.forEach((value, index) => typeof value === 'string' && slots.push({ kind: 'component', id: value, set: (id) => (list[index] = id) }));
      else if (list === componentIds && isObject(list))
        for (const [key, value] of Object.entries(list))
          if (typeof value === 'string') slots.push({ kind: 'component', id: value, set: (id) => (list[key] = id) });
    }
    if (typeof groupId === 'string') slots.push({ kind: 'component_group', id: groupId, set: (id) => (inner.group_id = id) });
  }
  return slots;
}

/** Puts the Lifeline id in place of every moved id the request carries. */
export async function replaceMovedIds(db: Parameters<typeof findMovedIds>[0], request: FastifyRequest): Promise<void> {
  const slots = idSlots(request).slice(0, 1000);
  if (slots.length === 0) return;
  const moved = await findMovedIds(
    db,
    slots.map((slot) => slot.id),
  );
  if (moved.size === 0) return;
  for (const slot of slots) {
    const id = moved.get(movedIdKey(slot.kind, slot.id));
    if (id !== undefined) slot.set(id);
  }
}
