import { createRequire } from 'node:module';
import type * as AdaptiveCardsModule from 'adaptivecards';

/**
 * Microsoft's own Adaptive Cards library (`adaptivecards`, the JavaScript renderer) under Node. Its
 * ES build (lib/) imports its files without extensions, which Node's ES loader refuses; its bundled
 * UMD build (dist/) loads as CommonJS, and parsing and validating a card need no DOM (only
 * rendering would).
 */
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCardsModule;

/** What the library finds wrong with a card: what it could not parse (an unknown element or action, a bad value) and what its validation refuses. */
export function validateTeamsCard(card: unknown): string[] {
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
  const parsed = new AdaptiveCards.AdaptiveCard();
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(`adaptivecards: ${context.getEventAt(i).message}`);
  for (const event of parsed.validateProperties().validationEvents) problems.push(`adaptivecards: ${event.message}`);
  return problems;
}
