// The banner a product team pastes into its own pages (README, "In your product"), served as
// /embed/banner.js. It reads /embed/status.json from the host it was loaded from and shows one
// bar while something listed in data-components is wrong. It fails silent: any error (the status
// host down, an error answer, a strict host page) shows nothing and throws nothing. It injects no
// inline style or script into the host page: it renders into an open shadow root styled by a
// constructed stylesheet, so a host CSP of `style-src 'self'` holds. No cookies, no referrer.
(() => {
  'use strict';
  const script = document.currentScript;
  // A second copy of the snippet on the same page would show a second bar.
  if (!(script instanceof HTMLScriptElement) || 'lifelineBanner' in window) return;

  /** @typedef {{ id: string, key: string }} Component */
  /**
   * @typedef {{ id: string, name: string, url: string, last_update_at: string, last_update_message: string,
   *   last_update_id: string, affected_components: Component[], current_worst_impact?: string, starts_at?: string }} Item
   */
  /** @typedef {{ ongoing_incidents: Item[], in_progress_maintenances: Item[], scheduled_maintenances: Item[] }} Feed */
  /** @typedef {[Item, number, string]} Choice the item, its rank, its kind (an impact, `maintenance` or `scheduled`) */

  const data = script.dataset;
  const origin = new URL(script.src).origin;
  const wanted = (data.components || '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const leadMs = Math.max(0, Number(data.maintenanceLeadHours) || 0) * 3600000;
  const refreshMs = Math.max(5, Number(data.refreshSeconds) || 60) * 1000;
  const lang = data.lang || document.documentElement.lang || navigator.language || 'en';
  // dismiss, then the kinds of trouble; English unless the page's language is one of these.
  /** @type {Record<string, string[]>} */
  const WORDS = {
    en: ['Dismiss', 'Degraded performance', 'Partial outage', 'Full outage', 'Maintenance in progress', 'Scheduled maintenance'],
    de: ['Ausblenden', 'Eingeschränkte Leistung', 'Teilausfall', 'Ausfall', 'Wartung läuft', 'Geplante Wartung'],
    fr: ['Masquer', 'Performances dégradées', 'Panne partielle', 'Panne totale', 'Maintenance en cours', 'Maintenance prévue'],
    es: ['Ocultar', 'Rendimiento degradado', 'Interrupción parcial', 'Interrupción total', 'Mantenimiento en curso', 'Mantenimiento programado'],
  };
  const words = WORDS[lang.slice(0, 2).toLowerCase()] || WORDS.en;
  const KINDS = ['dismiss', 'degraded_performance', 'partial_outage', 'full_outage', 'maintenance', 'scheduled'];
  /** @type {Record<string, number>} */
  const RANK = { degraded_performance: 3, partial_outage: 4, full_outage: 5 };
  const STORE = 'lifeline-banner-dismissed';
  const CSS =
    ':host{all:initial;position:fixed;left:0;right:0;bottom:0;z-index:2147483647;font:15px/1.4 system-ui,sans-serif}' +
    ':host([data-position=top]){top:0;bottom:auto}' +
    '.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.25em .8em;padding:.55em 1em;background:#fdf1c7;color:#3b2c00;border-top:3px solid #8a6100}' +
    '.bar:empty{padding:0;border:0}' +
    '.partial_outage{background:#ffe1cc;color:#3d1a00;border-color:#b34700}' +
    '.full_outage{background:#b3001b;color:#fff;border-color:#5c000e}' +
    '.maintenance,.scheduled{background:#dbe8fb;color:#0a2547;border-color:#1d4f91}' +
    '@media (prefers-color-scheme:dark){.bar{background:#3b2c00;color:#fdf1c7}.partial_outage{background:#3d1a00;color:#ffe1cc}' +
    '.full_outage{background:#5c000e;color:#ffdde2}.maintenance,.scheduled{background:#0a2547;color:#dbe8fb}}' +
    'a{color:inherit;font-weight:600}' +
    '.msg{flex:1 1 12em;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}' +
    'button{font:inherit;color:inherit;background:none;border:1px solid;border-radius:4px;padding:.1em .6em;cursor:pointer}' +
    'a:focus-visible,button:focus-visible{outline:2px solid;outline-offset:2px}';

  /** @type {HTMLElement | null} */
  let bar = null;
  /** @type {Feed | null} the last feed read, to show what is next once one is dismissed */
  let last = null;
  let testing = false;
  let timer = 0;

  /** @returns {string[]} */
  const dismissed = () => {
    try {
      const list = JSON.parse(localStorage.getItem(STORE) || '[]');
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  };
  /** @param {Item} item */
  const tag = (item) => `${item.id}:${item.last_update_id}`;

  /** "5 minutes ago", "in 2 hours", in the page's language. @param {string} iso */
  const when = (iso) => {
    const seconds = (Date.parse(iso) - Date.now()) / 1000;
    const size = Math.abs(seconds);
    const [value, unit] = size < 3600 ? [seconds / 60, 'minute'] : size < 86400 ? [seconds / 3600, 'hour'] : [seconds / 86400, 'day'];
    try {
      // Under a minute reads "1 minute ago" rather than "this minute".
      const rounded = Math.round(value) || (seconds < 0 ? -1 : 1);
      return new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(rounded, /** @type {Intl.RelativeTimeFormatUnit} */ (unit));
    } catch {
      return '';
    }
  };

  /** The one thing to show: the worst, then the most recently updated, not dismissed. @param {Feed} feed @returns {Choice | undefined} */
  const choose = (feed) => {
    const now = Date.now();
    const skip = dismissed();
    /** @param {Item} item */
    const concerns = (item) => !wanted.length || item.affected_components.some((c) => wanted.includes(c.key) || wanted.includes(c.id));
    /** @type {Choice[]} */
    const choices = [
      ...feed.ongoing_incidents.map((item) => /** @type {Choice} */ ([item, RANK[item.current_worst_impact || ''] || 3, item.current_worst_impact || KINDS[1]])),
      ...feed.in_progress_maintenances.map((item) => /** @type {Choice} */ ([item, 2, 'maintenance'])),
      ...feed.scheduled_maintenances
        .filter((item) => leadMs > 0 && Date.parse(item.starts_at || '') - now <= leadMs)
        .map((item) => /** @type {Choice} */ ([item, 1, 'scheduled'])),
    ].filter(([item]) => concerns(item) && !skip.includes(tag(item)));
    return choices.sort((a, b) => b[1] - a[1] || Date.parse(b[0].last_update_at) - Date.parse(a[0].last_update_at))[0];
  };

  /** @param {string} name @param {string} className @param {string} text */
  const element = (name, className, text) => {
    const node = document.createElement(name);
    node.className = className;
    node.textContent = text;
    return node;
  };

  /** Shows the choice, or empties the bar. @param {Choice | undefined} choice */
  const render = (choice) => {
    if (!choice) {
      bar?.replaceChildren();
      return;
    }
    if (!bar) {
      const host = document.createElement('lifeline-banner');
      if (data.position === 'top') host.setAttribute('data-position', 'top');
      const root = host.attachShadow({ mode: 'open' });
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
      bar = root.appendChild(document.createElement('div'));
      bar.setAttribute('role', 'status');
      (document.body || document.documentElement).appendChild(host);
    }
    const [item, , kind] = choice;
    const link = /** @type {HTMLAnchorElement} */ (element('a', 'name', item.name));
    // Only a web address: never a javascript: link, whatever the feed says.
    link.href = /^https?:\/\//.test(item.url) ? item.url : origin;
    link.target = '_blank';
    link.rel = 'noopener';
    const button = element('button', 'dismiss', words[0]);
    button.setAttribute('type', 'button');
    button.addEventListener('click', () => {
      if (!testing) {
        try {
          localStorage.setItem(STORE, JSON.stringify([tag(item), ...dismissed()].slice(0, 20)));
        } catch {}
      }
      render(last && !testing ? choose(last) : undefined);
    });
    bar.className = `bar ${kind}`;
    bar.replaceChildren(
      element('strong', 'impact', words[KINDS.indexOf(kind)] || words[1]),
      link,
      element('span', 'msg', item.last_update_message.split('\n')[0].replace(/[*_`#>[\]]/g, '')),
      element('span', 'age', when(kind === 'scheduled' ? item.starts_at || '' : item.last_update_at)),
      button,
    );
  };

  const refresh = async () => {
    clearTimeout(timer);
    if (!document.hidden && !testing) {
      try {
        // no-cache: the browser revalidates with the ETag it holds, so an unchanged feed costs a 304.
        const response = await fetch(`${origin}/embed/status.json`, {
          cache: 'no-cache',
          credentials: 'omit',
          referrerPolicy: 'no-referrer',
          signal: AbortSignal.timeout(10000),
        });
        if (!response.ok) throw new Error(String(response.status));
        last = await response.json();
        if (!testing) render(choose(/** @type {Feed} */ (last)));
      } catch {
        last = null;
        render(undefined);
      }
    }
    // Two refreshes at once (a timer and a return to the tab) must leave one timer, not two.
    clearTimeout(timer);
    timer = setTimeout(refresh, refreshMs);
  };

  const test = () => {
    testing = true;
    const now = new Date().toISOString();
    render([
      {
        id: 'test',
        name: 'Example incident (banner test)',
        url: origin,
        last_update_at: now,
        last_update_message: 'This is how the banner shows an incident on your components.',
        last_update_id: now,
        affected_components: [],
      },
      3,
      'partial_outage',
    ]);
  };

  Object.defineProperty(window, 'lifelineBanner', { value: Object.freeze({ test, refresh }) });
  document.addEventListener('visibilitychange', () => document.hidden || refresh());
  if (/[?&]lifeline-banner-test\b/.test(location.search)) test();
  refresh();
})();
