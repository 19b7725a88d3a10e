// Progressive enhancement: the Markdown preview follows the text as it is typed (the Preview button works without it).
(function () {
  document.querySelectorAll('form[data-preview]').forEach(function (form) {
    var target = document.getElementById(form.getAttribute('data-preview') || '');
    if (!target || !(form instanceof HTMLFormElement)) return;
    var owner = form;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    var timer, sequence = 0;
    function refresh() {
      var mine = ++sequence;
      var data = new URLSearchParams(/** @type {any} */ (new FormData(owner)));
      data.delete('intent');
      fetch('/console/preview', { method: 'POST', body: data, credentials: 'same-origin', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (target && html !== null && mine === sequence) target.innerHTML = html; })
        .catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
    form.addEventListener('input', later);
    form.addEventListener('change', later);
    refresh();
  });
  // A publish button cannot be pressed twice while the first press is on its way.
  document.querySelectorAll('form[data-once]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      var button = /** @type {SubmitEvent} */ (event).submitter;
      if (!(button instanceof HTMLButtonElement) || button.value !== 'publish') return;
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
    });
  });
  // Live delivery progress: while notices are being sent, the figures under each update follow
  // the server (a small JSON document every 2.5 s); without script, the Refresh link does it.
  var status = document.getElementById('progress-status');
  var url = status && status.getAttribute('data-progress-url');
  var summary = status && status.querySelector('[data-progress-summary]');
  var live = status && status.querySelector('[data-progress-live]');
  if (status && url && summary && live && status.getAttribute('data-active') === '1' && 'fetch' in window) {
    var progress = status, progressUrl = url, summaryText = summary, liveText = live;
    /** @type {(tag: string, text?: string, className?: string) => HTMLElement} */
    var el = function (tag, text, className) { var node = document.createElement(tag); if (text !== undefined) node.textContent = text; if (className) node.className = className; return node; };
    /** @typedef {{ label: string, donePercent: number, targetedText: string, sentText: string, failedText: string, pendingText: string }} Channel */
    /** @type {(box: Element, text: string, channels: Channel[], deadUrl: string | null) => void} */
    var render = function (box, text, channels, deadUrl) {
      var meta = el('p', undefined, 'meta');
      var span = el('span', text);
      span.setAttribute('data-progress-text', '');
      meta.appendChild(span);
      if (deadUrl) { meta.appendChild(document.createTextNode(' ')); var a = el('a', 'See the failures and replay them'); a.setAttribute('href', deadUrl); meta.appendChild(a); }
      var parts = [meta];
      if (channels.length) {
        var table = el('table', undefined, 'progress-table');
        var head = el('tr');
        ['Channel', 'Targeted', 'Sent', 'Failed', 'Pending'].forEach(function (h) { var th = el('th', h); th.setAttribute('scope', 'col'); head.appendChild(th); });
        table.appendChild(el('thead')).appendChild(head);
        var body = table.appendChild(el('tbody'));
        channels.forEach(function (c) {
          var row = el('tr');
          var th = el('th', c.label); th.setAttribute('scope', 'row');
          var bar = el('span', undefined, 'bar'); bar.setAttribute('aria-hidden', 'true');
          var done = el('span', undefined, 'done'); done.style.width = c.donePercent + '%';
          bar.appendChild(done); th.appendChild(bar); row.appendChild(th);
          [c.targetedText, c.sentText, c.failedText, c.pendingText].forEach(function (v) { row.appendChild(el('td', v)); });
          body.appendChild(row);
        });
        parts.push(table);
      }
      box.replaceChildren.apply(box, parts);
    };
    var poll = function () {
      fetch(progressUrl, { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { setTimeout(poll, 5000); return; }
          data.updates.forEach(/** @param {{ update_id: string, text: string, channels: Channel[], dead_url: string | null }} u */ function (u) {
            var box = document.querySelector('[data-progress="' + CSS.escape(u.update_id) + '"]');
            if (box) render(box, u.text, u.channels, u.dead_url);
          });
          var other = document.querySelector('[data-progress="other"]');
          if (other) render(other, 'Alerts to the responders listed for the heartbeat series.', data.other, null);
          progress.setAttribute('data-updated', String(Date.now()));
          if (data.active) { setTimeout(poll, 2500); return; }
          progress.setAttribute('data-active', '');
          summaryText.textContent = 'Nothing is being sent for this incident now.';
          liveText.textContent = 'Every notice of this incident has been handled.';
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 2500);
  }
  // CSV import: a chosen file's text goes into the box (checked there before importing).
  document.querySelectorAll('input[data-file-into]').forEach(function (input) {
    var target = document.getElementById(input.getAttribute('data-file-into') || '');
    var field = input.closest('[data-file-field]');
    if (!(target instanceof HTMLTextAreaElement) || !(input instanceof HTMLInputElement) || !('FileReader' in window)) return;
    var box = target;
    if (field instanceof HTMLElement) field.hidden = false;
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () { box.value = String(reader.result); };
      reader.readAsText(file);
    });
  });
  // Shown-once values: a Copy button where the clipboard is available.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var source = document.getElementById(button.getAttribute('data-copy') || '');
    if (!(source instanceof HTMLInputElement || source instanceof HTMLTextAreaElement) || !(button instanceof HTMLButtonElement) || !navigator.clipboard) return;
    var shown = source;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(shown.value).then(function () { button.textContent = 'Copied'; }, function () { shown.select(); });
    });
  });
})();
