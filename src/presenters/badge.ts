/**
 * Status badges for READMEs, wikis and dashboards: `/badge.svg` (an accessible SVG image) and
 * `/badge.json` (shields.io's endpoint schema, for a badge drawn by shields.io in its own styles),
 * for the whole page or one component.
 */
import type { Component, ComponentGroup } from '../domain/model.ts';
import { COMPONENT_STATUS_LABELS, pageIndicator, type ComponentStatus, type Indicator } from '../domain/status.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';
import { qualifiedName } from './status-page-view.ts';

type Tone = 'ok' | 'minor' | 'major' | 'critical' | 'maintenance';
export type BadgeTheme = 'light' | 'dark';

interface Badge {
  label: string;
  message: string;
  tone: Tone;
}

const TONE_OF_INDICATOR: Record<Indicator, Tone> = { none: 'ok', minor: 'minor', major: 'major', critical: 'critical', maintenance: 'maintenance' };
const TONE_OF_COMPONENT: Record<ComponentStatus, Tone> = {
  operational: 'ok',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
  under_maintenance: 'maintenance',
};
/** shields.io's named colours, so its renderer draws its own palette. */
const SHIELDS_COLOR: Record<Tone, string> = { ok: 'brightgreen', minor: 'yellow', major: 'orange', critical: 'red', maintenance: 'blue' };
/**
 * Backgrounds under white text: each at least 4.5:1 against white (WCAG AA for small text), in
 * both themes; the dark theme's are deeper, for a badge on a dark page.
 */
const FILL: Record<BadgeTheme, Record<Tone | 'label', string>> = {
  light: { label: '#4a4a4a', ok: '#1f7a3d', minor: '#7a5600', major: '#a84300', critical: '#b3001b', maintenance: '#1d4f91' },
  dark: { label: '#262626', ok: '#14532d', minor: '#574000', major: '#7a3000', critical: '#7f0015', maintenance: '#123a6b' },
};

/** The whole page: its name and the roll-up the status page shows. */
export function pageBadge(status: PublicStatus): Badge {
  const { indicator, description } = pageIndicator(status);
  return { label: status.page.name, message: description, tone: TONE_OF_INDICATOR[indicator] };
}

/** One component, named with its group as the status page names it ("Messaging (Europe)"). */
export function componentBadge(component: Component, groups: readonly ComponentGroup[]): Badge {
  return {
    label: qualifiedName(component, groups),
    message: COMPONENT_STATUS_LABELS[component.status],
    tone: TONE_OF_COMPONENT[component.status],
  };
}

/** shields.io's endpoint badge: https://shields.io/badges/endpoint-badge */
export function badgeJson(badge: Badge): { schemaVersion: 1; label: string; message: string; color: string } {
  return { schemaVersion: 1, label: badge.label, message: badge.message, color: SHIELDS_COLOR[badge.tone] };
}

// Characters XML 1.0 cannot carry at all (controls other than tab, newline and return): dropped.
// eslint-disable-next-line no-control-regex -- the control characters are the point
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text for XML character data and attribute values. */
function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Verdana at 11px averages about 6.5px a character; textLength makes the text fit the box exactly. */
const textWidth = (text: string) => Math.max(8, Math.round([...text].length * 6.5));

/** A flat two-part badge, 20px high, with a <title> and role="img" so a screen reader reads "label: message". */
export function badgeSvg(badge: Badge, theme: BadgeTheme): string {
  const fill = FILL[theme];
  const labelText = textWidth(badge.label);
  const messageText = textWidth(badge.message);
  const labelWidth = labelText + 12;
  const messageWidth = messageText + 12;
  const width = labelWidth + messageWidth;
  const label = escapeXml(badge.label);
  const message = escapeXml(badge.message);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" viewBox="0 0 ${width} 20" role="img" aria-labelledby="badge-title">` +
    `<title id="badge-title">${label}: ${message}</title>` +
    `<rect width="${labelWidth}" height="20" fill="${fill.label}"/>` +
    `<rect x="${labelWidth}" width="${messageWidth}" height="20" fill="${fill[badge.tone]}"/>` +
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" aria-hidden="true">' +
    `<text x="${labelWidth / 2}" y="14" textLength="${labelText}" lengthAdjust="spacingAndGlyphs">${label}</text>` +
    `<text x="${labelWidth + messageWidth / 2}" y="14" textLength="${messageText}" lengthAdjust="spacingAndGlyphs">${message}</text>` +
    '</g></svg>\n'
  );
}
