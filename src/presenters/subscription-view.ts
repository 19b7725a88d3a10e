import type { Component, ComponentGroup, Page } from '../domain/model.ts';

/** The component picker of the subscribe and manage forms: grouped, regions visible. */
export function componentChoices(groups: ComponentGroup[], components: Component[], selected: { all: boolean; ids: string[] }) {
  const option = (c: Component) => ({ id: c.id, name: c.name, checked: !selected.all && selected.ids.includes(c.id) });
  return {
    allChecked: selected.all,
    groups: [
      ...groups.map((g) => ({ name: g.name, description: g.description, components: components.filter((c) => c.group_id === g.id).map(option) })),
      { name: 'Other', description: null, components: components.filter((c) => c.group_id === null).map(option) },
    ].filter((g) => g.components.length > 0),
  };
}

export interface SubscriptionPage {
  title: string;
  heading: string;
  message?: string;
  form?: { action: string; button: string; danger?: boolean };
  /** The form asks for an endpoint URL and its owner's address instead of an email address. */
  webhookForm?: boolean;
  url?: string;
  choices?: ReturnType<typeof componentChoices>;
  /** Extra one-button forms (e.g. rotate a webhook secret), then the secondary (unsubscribe). */
  actions?: { action: string; button: string }[];
  secondary?: { action: string; button: string };
  alternative?: { href: string; text: string };
  /** The link to the chat-channel sign-up. */
  chatAlternative?: { href: string; text: string };
  /** The form asks for a chat channel's incoming-webhook URL. */
  chatForm?: boolean;
  email?: string | null;
  /** A webhook signing secret, shown once. */
  secret?: string;
}

export function subscriptionPageView(page: Page, view: SubscriptionPage) {
  return { chrome: { name: page.name, companyUrl: page.url, timeZone: page.time_zone }, ...view };
}
