#include "results/matrix_assets.h"

namespace kgrid::results {

// Verdict colours: a light fill for cells, a strong one for badges. The
// browser test looks for the cell fills in a screenshot, so keep them flat.
const char kMatrixCss[] = R"CSS(
:root { --pass:#d7f0dd; --pass-s:#1e7b34; --skip:#e8eaed; --skip-s:#5f6368; --fail:#fbd3cf; --fail-s:#c5221f;
        --timeout:#fde3c8; --timeout-s:#b06000; --panic:#ead5fb; --panic-s:#7b1fa2; --boot_fail:#f2c9c9; --boot_fail-s:#8b1a1a;
        --infra_error:#fff1bf; --infra_error-s:#8a6d00; --line:#dadce0; }
* { box-sizing: border-box; }
body { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 16px 20px; color: #202124; background: #fff; }
h1 { font-size: 20px; margin: 0 0 2px; }
.meta { color: #5f6368; margin: 0 0 8px; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 10px; margin-right: 4px; font-weight: 600; }
#filters { display: flex; gap: 16px; align-items: center; margin: 10px 0; padding: 6px 10px; background: #f8f9fa; border: 1px solid var(--line); border-radius: 6px; }
#filters label { display: inline-flex; gap: 4px; align-items: center; }
#shown { margin-left: auto; color: #5f6368; }
table { border-collapse: collapse; width: max-content; max-width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 6px; vertical-align: top; text-align: left; }
thead th { background: #f1f3f4; position: sticky; top: 0; cursor: pointer; user-select: none; white-space: nowrap; }
thead th[aria-sort=ascending]::after { content: " ▲"; } thead th[aria-sort=descending]::after { content: " ▼"; }
thead th small { display: block; font-weight: normal; color: #5f6368; }
tr.group-head th { background: #e8f0fe; font-size: 14px; cursor: default; }
tr.group-head .count { font-weight: normal; color: #5f6368; margin-left: 8px; }
td:not(.cell) { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.id { white-space: nowrap; }
td.id a { font-weight: 600; color: #1a0dab; text-decoration: none; } td.id a:hover { text-decoration: underline; }
td.id .ver { color: #5f6368; font-size: 11px; }
td.cell { min-width: 150px; max-width: 340px; cursor: pointer; }
td.cell .badges { display: flex; gap: 4px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; color: #fff; font-weight: 700; font-size: 11px; }
td.cell .reason { margin-top: 2px; font-size: 11px; color: #3c4043; display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; word-break: break-word; }
td.cell .m { margin-top: 2px; font-size: 11px; color: #5f6368; }
td .detail { display: none; }
td.none { color: #9aa0a6; text-align: center; }
td.cell.selected { outline: 2px solid #1a73e8; outline-offset: -2px; }
.v-PASS { background: var(--pass); } .s-PASS { background: var(--pass-s); }
.v-SKIP { background: var(--skip); } .s-SKIP { background: var(--skip-s); }
.v-FAIL { background: var(--fail); } .s-FAIL { background: var(--fail-s); }
.v-TIMEOUT { background: var(--timeout); } .s-TIMEOUT { background: var(--timeout-s); }
.v-PANIC { background: var(--panic); } .s-PANIC { background: var(--panic-s); }
.v-BOOT_FAIL { background: var(--boot_fail); } .s-BOOT_FAIL { background: var(--boot_fail-s); }
.v-INFRA_ERROR { background: var(--infra_error); } .s-INFRA_ERROR { background: var(--infra_error-s); }
td.kv { font-weight: 700; }
svg.trend { display: block; }
#detail { position: fixed; right: 16px; top: 16px; width: min(560px, 45vw); max-height: calc(100vh - 32px); overflow: auto;
          background: #fff; border: 1px solid #bdc1c6; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.2); padding: 12px 14px; }
#detail h2 { font-size: 15px; margin: 0 0 6px; padding-right: 24px; }
#detail pre { white-space: pre-wrap; word-break: break-word; background: #f8f9fa; border: 1px solid var(--line); padding: 6px; max-height: 40vh; overflow: auto; }
#detail .close { position: absolute; right: 10px; top: 8px; border: 0; background: none; font-size: 18px; cursor: pointer; }
#detail table td, #detail table th { padding: 2px 6px; }
.note { color: #5f6368; margin-top: 10px; }
)CSS";

// Filters (only failures, series, arch) live in the URL hash, e.g.
// #only=failures&series=debian%206.1&arch=x86_64, and #open=<kernel id> opens
// a kernel's details, so a view can be linked to and checked headless.
const char kMatrixJs[] = R"JS(
(function () {
  'use strict';
  var table = document.getElementById('grid');
  var only = document.getElementById('f-only');
  var series = document.getElementById('f-series');
  var arch = document.getElementById('f-arch');
  var shown = document.getElementById('shown');
  var detail = document.getElementById('detail');

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    only.checked = p.get('only') === 'failures';
    series.value = p.get('series') || '';
    arch.value = p.get('arch') || '';
    if (series.value !== (p.get('series') || '')) series.value = '';
    if (arch.value !== (p.get('arch') || '')) arch.value = '';
  }

  function writeHash() {
    var p = new URLSearchParams();
    if (only.checked) p.set('only', 'failures');
    if (series.value) p.set('series', series.value);
    if (arch.value) p.set('arch', arch.value);
    var h = p.toString().replace(/\+/g, '%20');
    history.replaceState(null, '', h ? '#' + h : location.pathname + location.search);
  }

  function apply() {
    var visible = 0, total = 0;
    table.querySelectorAll('tbody.group').forEach(function (group) {
      var groupVisible = 0;
      group.querySelectorAll('tr.kernel').forEach(function (row) {
        total++;
        var hide = (only.checked && row.dataset.failing !== '1') ||
                   (series.value && row.dataset.series !== series.value) ||
                   (arch.value && row.dataset.arch !== arch.value);
        row.hidden = hide;
        if (!hide) groupVisible++;
      });
      group.hidden = groupVisible === 0;
      visible += groupVisible;
    });
    shown.textContent = 'showing ' + visible + ' of ' + total + ' kernel' + (total === 1 ? '' : 's');
  }

  function sortBy(th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.type === 'num';
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    table.querySelectorAll('tbody.group').forEach(function (group) {
      var rows = Array.prototype.slice.call(group.querySelectorAll('tr.kernel'));
      rows.sort(function (a, b) {
        var x = a.children[index].dataset.v || '', y = b.children[index].dataset.v || '';
        if (numeric) {
          var nx = x === '' ? Infinity : parseFloat(x), ny = y === '' ? Infinity : parseFloat(y);
          if (nx !== ny) return (nx < ny ? -1 : 1) * dir;
          return 0;
        }
        return x.localeCompare(y, undefined, {numeric: true}) * dir;
      });
      rows.forEach(function (r) { group.appendChild(r); });
    });
  }

  function show(cell) {
    table.querySelectorAll('td.selected').forEach(function (c) { c.classList.remove('selected'); });
    cell.classList.add('selected');
    var src = cell.querySelector('.detail');
    detail.querySelector('.body').innerHTML = src ? src.innerHTML : '';
    detail.hidden = false;
  }

  only.addEventListener('change', function () { writeHash(); apply(); });
  series.addEventListener('change', function () { writeHash(); apply(); });
  arch.addEventListener('change', function () { writeHash(); apply(); });
  window.addEventListener('hashchange', function () { readHash(); apply(); openFromHash(); });
  table.querySelectorAll('thead tr.cols th').forEach(function (th) {
    th.addEventListener('click', function () { sortBy(th); });
  });
  table.addEventListener('click', function (e) {
    if (e.target.closest('a')) return;
    var cell = e.target.closest('td.cell, td.kv');
    if (cell) show(cell);
  });
  table.addEventListener('keydown', function (e) {
    var cell = e.target.closest && e.target.closest('td.cell, td.kv');
    if (cell && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); show(cell); }
  });
  detail.querySelector('.close').addEventListener('click', function () {
    detail.hidden = true;
    table.querySelectorAll('td.selected').forEach(function (c) { c.classList.remove('selected'); });
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') detail.hidden = true; });

  // #open=<kernel id>: show that kernel's first failing cell (else its verdict).
  function openFromHash() {
    var id = new URLSearchParams(location.hash.replace(/^#/, '')).get('open');
    if (!id) return;
    var row = Array.prototype.find.call(table.querySelectorAll('tr.kernel'), function (r) { return r.dataset.id === id; });
    if (!row) return;
    var cells = Array.prototype.slice.call(row.querySelectorAll('td.cell'));
    var failing = cells.find(function (c) { return ['PASS', 'SKIP'].indexOf(c.dataset.verdict) < 0; });
    show(failing || row.querySelector('td.kv'));
    row.hidden = false;
  }

  readHash();
  apply();
  openFromHash();
  document.body.dataset.ready = '1';
})();
)JS";

}  // namespace kgrid::results
