// Injected into a copy of report.html by test_browser.py: after the page has
// loaded, records every chart image that did not load and every text element
// that overflows its box or sticks out of its container, as JSON in
// <pre id="bb-check">, which chromium --dump-dom prints.
window.addEventListener('load', () => {
  const bad = [];
  const vw = document.documentElement.clientWidth;
  for (const img of document.images)
    if (!img.complete || img.naturalWidth === 0) bad.push({kind: 'image not loaded', what: img.alt});
  if (document.documentElement.scrollWidth > vw + 1)
    bad.push({kind: 'page wider than the window', what: document.documentElement.scrollWidth + ' > ' + vw});
  for (const el of document.body.querySelectorAll('*')) {
    if (el.tagName === 'SCRIPT' || el.id === 'bb-check') continue;
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!text && el.tagName !== 'IMG') continue;
    const what = el.tagName + ': ' + (el.textContent || el.alt || '').trim().slice(0, 60);
    if (getComputedStyle(el).display !== 'inline' && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      bad.push({kind: 'text overflows its box', what, by: el.scrollWidth - el.clientWidth});
    const r = el.getBoundingClientRect(), p = el.parentElement.getBoundingClientRect();
    if (r.width > 0 && (r.right > p.right + 1 || r.left < p.left - 1))
      bad.push({kind: 'sticks out of its container', what, by: Math.round(Math.max(r.right - p.right, p.left - r.left))});
  }
  const out = document.createElement('pre');
  out.id = 'bb-check';
  out.textContent = JSON.stringify({bad, images: document.images.length, vw,
                                    height: document.documentElement.scrollHeight});
  document.body.appendChild(out);
});
