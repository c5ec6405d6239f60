// The portal's only script (served from its own origin; the Content Security Policy allows no other): times in the
// viewer's local time, a running request's page kept current, focus on a form's errors, and file pickers that fill a
// text field (a CA's PEM). Every page works without it, showing UTC times, needing a reload to update and the PEM
// pasted.
(function () {
  'use strict';

  function localize(root) {
    var times = root.querySelectorAll('time[data-local]');
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var iso = el.getAttribute('datetime');
      var d = new Date(iso);
      if (isNaN(d.getTime())) continue;
      el.title = iso;
      el.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    }
  }

  // Someone typing a comment in a decision form must not lose it to an update.
  function busy(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && active.closest('form')) return true;
    var inputs = region.querySelectorAll('form input:not([type=hidden])');
    for (var i = 0; i < inputs.length; i++) if (inputs[i].value) return true;
    return false;
  }

  function say(region, text) {
    var p = document.createElement('p');
    p.className = 'note';
    p.setAttribute('role', 'status');
    p.textContent = text;
    region.prepend(p);
  }

  // Asks the server for the region again every few seconds until the run is done, and swaps its content in place
  // (the region itself stays, so screen readers announce what changed).
  function follow(region) {
    var interval = Number(region.dataset.liveInterval) || 2000;
    var failures = 0;
    function tick() {
      if (region.dataset.done === 'true') return;
      if (busy(region)) {
        setTimeout(tick, interval);
        return;
      }
      fetch(region.dataset.liveUrl, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (res) {
          if (res.status === 401) {
            say(region, 'You were signed out: reload the page to sign in again.');
            return 'stop';
          }
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.text().then(function (html) {
            var next = new DOMParser().parseFromString(html, 'text/html').body.firstElementChild;
            if (!next || next.id !== region.id) throw new Error('unexpected answer');
            region.replaceChildren.apply(region, Array.prototype.slice.call(next.childNodes));
            for (var key in next.dataset) region.dataset[key] = next.dataset[key];
            localize(region);
            failures = 0;
          });
        })
        .catch(function () {
          failures++;
        })
        .then(function (stop) {
          if (stop === 'stop') return;
          setTimeout(tick, failures ? Math.min(interval * Math.pow(2, failures), 30000) : interval);
        });
    }
    setTimeout(tick, interval);
  }

  // A picker (hidden without the script) reads its file's text into the field it names.
  function readInto(picker) {
    var target = document.getElementById(picker.dataset.readInto);
    if (!target || typeof FileReader === 'undefined') return;
    picker.hidden = false;
    picker.addEventListener('change', function () {
      var file = picker.files && picker.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () {
        target.value = String(reader.result);
      };
      reader.readAsText(file);
    });
  }

  localize(document);
  var pickers = document.querySelectorAll('input[data-read-into]');
  for (var p = 0; p < pickers.length; p++) readInto(pickers[p]);
  var live = document.querySelectorAll('[data-live-url]');
  for (var i = 0; i < live.length; i++) follow(live[i]);
  var errors = document.querySelector('[data-form-errors]');
  if (errors) errors.focus();
})();
