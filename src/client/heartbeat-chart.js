/* Optional: offers the visitor's own time zone (the page works without it). */
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    /** @param {string | null} z */
    var norm = function (z) { return z === 'Etc/UTC' ? 'UTC' : z; };
    var here = new URL(location.href);
    var page = document.querySelector('[data-page-zone]');
    if (!zone || here.searchParams.has('tz') || !page || norm(zone) === norm(page.getAttribute('data-page-zone'))) return;
    document.querySelectorAll('a[data-tz]').forEach(function (a) {
      if (!(a instanceof HTMLAnchorElement)) return;
      var url = new URL(a.href);
      url.searchParams.set('tz', zone);
      a.href = url.pathname + url.search;
    });
    var offer = document.querySelector('a[data-tz-offer]');
    if (offer instanceof HTMLAnchorElement) {
      here.searchParams.set('tz', zone);
      offer.href = here.pathname + here.search;
      offer.textContent = 'Show times in your time zone (' + zone + ')';
      offer.hidden = false;
    }
  } catch (e) {}
})();
