// WCAG 2.5.5 Target Size (Enhanced): the page script of pytest_castmatch.checks.targets.
// Called with the minimum side (44); returns the targets whose clickable area holds no such square.
(minimum) => {
  const CANDIDATES = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, ' +
    '[role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menuitem], ' +
    '[role=menuitemcheckbox], [role=menuitemradio], [role=option], [role=slider], [role=spinbutton], ' +
    '[onclick], [tabindex]:not([tabindex="-1"])';
  const OUTER = 'a[href], area[href], button, [role=button], [role=link]';
  const UA_KINDS = new Set(['input', 'select', 'textarea']);
  const BUTTONISH = new Set(['button', 'submit', 'reset', 'image', 'file']);
  const GRAPHIC = 'img, svg, canvas, video, object, embed, picture';
  const doc = document.documentElement;
  const rectOf = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const union = (a, b) => ({left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
                            right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom)});
  const meet = (a, b) => ({left: Math.max(a.left, b.left), top: Math.max(a.top, b.top),
                           right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom)});
  const empty = (r) => r.right - r.left <= 0 || r.bottom - r.top <= 0;
  const labelsOf = (el) => (el.labels ? Array.from(el.labels) : []);

  // Why no pointer can use the element ('' when one can).
  function unreachable(el) {
    if (el.closest('[inert]')) return 'inert';
    if (el.matches(':disabled')) return 'disabled';
    // aria-disabled makes a control inert only where the author also took it out of the focus order.
    if (el.closest('[aria-disabled=true]') && el.tabIndex < 0) return 'disabled';
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible') return 'visibility';
    if (cs.pointerEvents === 'none') return 'pointer-events';
    if (!el.getClientRects().length) return 'not rendered';
    if (el.closest('[aria-hidden=true]') && el.tabIndex < 0) return 'aria-hidden';
    return '';
  }

  // The element's boxes and the text that overflows them: both take the element's clicks.
  function ownBox(el) {
    let box = rectOf(el.getBoundingClientRect());
    const range = document.createRange();
    range.selectNodeContents(el);
    for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) box = union(box, rectOf(r));
    range.detach();
    return box;
  }
  function area(el) {
    let box = ownBox(el);
    if (UA_KINDS.has(el.localName)) for (const label of labelsOf(el)) if (!unreachable(label)) box = union(box, ownBox(label));
    return meet(box, {left: 0, top: 0, right: innerWidth, bottom: innerHeight});
  }
  const part = (el, node) => !!node && (el === node || el.contains(node) || labelsOf(el).some((l) => l === node || l.contains(node)));

  // Scroll boxes the user can scroll: the target's own ancestors are scrolled to show it, the
  // ancestors of what covers it are scrolled to each end to move the cover away.
  const scrolled = new Map();
  function remember(n) { if (!scrolled.has(n)) scrolled.set(n, [n.scrollLeft, n.scrollTop]); }
  function scroller(n) {
    const s = getComputedStyle(n);
    const x = /(auto|scroll)/.test(s.overflowX) && n.scrollWidth > n.clientWidth;
    const y = /(auto|scroll)/.test(s.overflowY) && n.scrollHeight > n.clientHeight;
    return x || y ? {x, y} : null;
  }
  function reveal(el, align) {
    for (let n = el.parentElement; n && n !== doc && n !== document.body; n = n.parentElement) {
      const can = scroller(n);
      if (!can) continue;
      remember(n);
      const r = el.getBoundingClientRect(), c = n.getBoundingClientRect();
      if (can.x) n.scrollLeft += (r.left + r.right) / 2 - (c.left + c.right) / 2;
      if (can.y) n.scrollTop += (r.top + r.bottom) / 2 - (c.top + c.bottom) / 2;
    }
    const r = el.getBoundingClientRect();
    const y = align === 'top' ? r.top - 8 : align === 'bottom' ? r.bottom - innerHeight + 8 : (r.top + r.bottom) / 2 - innerHeight / 2;
    window.scrollTo(window.scrollX + (r.left + r.right) / 2 - innerWidth / 2, window.scrollY + y);
  }

  // The clickable area on a grid of points over ``box``: its extent, the side of the largest square
  // wholly in it, and the elements that took the clicks it lost.
  function grid(el, box, cols, rows) {
    const w = box.right - box.left, h = box.bottom - box.top;
    const sx = w / cols, sy = h / rows;
    const run = new Array(cols).fill(0), prev = new Array(cols).fill(0);
    const covers = new Set();
    let best = 0, hits = 0, minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let j = 0; j < rows; j++) {
      const y = box.top + (j + 0.5) * sy;
      for (let i = 0; i < cols; i++) {
        const hit = document.elementFromPoint(box.left + (i + 0.5) * sx, y);
        if (part(el, hit)) {
          hits++;
          minX = Math.min(minX, i); maxX = Math.max(maxX, i); minY = Math.min(minY, j); maxY = Math.max(maxY, j);
          // Largest all-hit square ending here (in cells), from the cells above, left and above-left.
          run[i] = 1 + Math.min(prev[i], i ? run[i - 1] : 0, i ? prev[i - 1] : 0);
          best = Math.max(best, run[i]);
        } else {
          run[i] = 0;
          // What is painted over the target; its own ancestors are only around it.
          if (hit && hit !== doc && hit !== document.body && !hit.contains(el)) covers.add(hit);
        }
      }
      for (let i = 0; i < cols; i++) prev[i] = run[i];
    }
    if (!hits) return {width: 0, height: 0, square: 0, covers: Array.from(covers), all: false};
    const width = Math.min(w, (maxX - minX + 1) * sx), height = Math.min(h, (maxY - minY + 1) * sy);
    return {width, height, square: Math.min(best * Math.min(sx, sy), width, height), covers: Array.from(covers),
            all: hits === cols * rows};
  }
  // Shapes a box does not tell: rounded corners, clip paths and transforms change what is hit.
  function shaped(el) {
    for (let n = el; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.clipPath !== 'none' || s.transform !== 'none' || s.rotate !== 'none') return true;
      if (n === el && parseFloat(s.borderTopLeftRadius) + parseFloat(s.borderTopRightRadius) +
          parseFloat(s.borderBottomLeftRadius) + parseFloat(s.borderBottomRightRadius) > 0) return true;
    }
    return false;
  }
  // A box turned or scaled by its own transform (no other shaping) keeps its shape: its side in its
  // own frame, when every point of a grid laid in that frame takes clicks. 0 when that cannot be said.
  function turnedSide(el) {
    const cs = getComputedStyle(el);
    if (cs.clipPath !== 'none' || parseFloat(cs.borderTopLeftRadius) + parseFloat(cs.borderBottomRightRadius) > 0) return 0;
    for (let n = el.parentElement; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.transform !== 'none' || s.rotate !== 'none' || s.scale !== 'none' || s.clipPath !== 'none') return 0;
    }
    let m = new DOMMatrixReadOnly(cs.transform === 'none' ? undefined : cs.transform);
    if (cs.rotate !== 'none') m = m.rotate(0, 0, parseFloat(cs.rotate.split(' ').pop()) * (cs.rotate.includes('rad') ? 180 / Math.PI : cs.rotate.includes('turn') ? 360 : 1));
    if (cs.scale !== 'none') { const [x, y] = cs.scale.split(' ').map(parseFloat); m = m.scale(x, Number.isNaN(y) || y === undefined ? x : y); }
    if (Math.abs(m.a * m.c + m.b * m.d) > 1e-6) return 0;  // skewed: not a turned box
    const sx = Math.hypot(m.a, m.b), sy = Math.hypot(m.c, m.d);
    const w = el.offsetWidth * sx, h = el.offsetHeight * sy;
    const r = el.getBoundingClientRect(), cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
    const cos = m.a / sx, sin = m.b / sx;
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) {
      const u = ((i + 0.5) / 9 - 0.5) * w, v = ((j + 0.5) / 9 - 0.5) * h;
      const x = cx + u * cos - v * sin, y = cy + u * sin + v * cos;
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight || !part(el, document.elementFromPoint(x, y))) return 0;
    }
    return Math.min(w, h);
  }
  function sample(el) {
    const box = area(el);
    if (empty(box)) return {width: 0, height: 0, square: 0, covers: []};
    const w = box.right - box.left, h = box.bottom - box.top;
    // A coarse look settles most targets: too small either way, or wholly hit and plainly shaped.
    const coarse = grid(el, box, Math.max(1, Math.min(9, Math.round(w))), Math.max(1, Math.min(9, Math.round(h))));
    if (w < minimum - 0.5 || h < minimum - 0.5 || !coarse.width) return coarse;
    if (coarse.all && !shaped(el)) return {width: w, height: h, square: Math.min(w, h), covers: []};
    const side = turnedSide(el);
    if (side >= minimum - 0.5) return {width: w, height: h, square: side, covers: []};
    // Most shaped targets (rounded corners) still hold the square at their centre: check it first.
    const cx = (box.left + box.right) / 2, cy = (box.top + box.bottom) / 2, half = minimum / 2;
    const centre = {left: cx - half, top: cy - half, right: cx + half, bottom: cy + half};
    const corners = [[centre.left + 0.5, centre.top + 0.5], [centre.right - 0.5, centre.top + 0.5],
                     [centre.left + 0.5, centre.bottom - 0.5], [centre.right - 0.5, centre.bottom - 0.5]];
    if (corners.every(([x, y]) => part(el, document.elementFromPoint(x, y))) && grid(el, centre, 12, 12).all)
      return {width: w, height: h, square: Math.min(w, h, minimum), covers: []};
    const step = Math.max(1, Math.ceil(Math.sqrt((w * h) / 3000)));
    return grid(el, box, Math.max(1, Math.floor(w / step)), Math.max(1, Math.floor(h / step)));
  }

  // The best clickable area over the scroll positions a user can reach: the target at the top,
  // middle and bottom of the window, and each scroll box that holds a cover at either end.
  function clickable(el) {
    let best = null;
    const better = (m) => { if (!best || m.square > best.square || (m.square === best.square && m.width * m.height > best.width * best.height)) best = m; };
    for (const align of ['center', 'top', 'bottom']) {
      reveal(el, align);
      const m = sample(el);
      better(m);
      if (best.square >= minimum - 0.5 || !m.covers.length) break;
    }
    if (best.square < minimum - 0.5 && best.covers.length) {
      reveal(el, 'center');
      const boxes = new Set();
      for (const c of best.covers) for (let n = c.parentElement; n && n !== doc; n = n.parentElement) {
        if (n.contains(el)) break;
        if (scroller(n)) boxes.add(n);
      }
      for (const n of boxes) {
        remember(n);
        const [x0, y0] = [n.scrollLeft, n.scrollTop];
        for (const [x, y] of [[0, 0], [n.scrollWidth, n.scrollHeight], [0, n.scrollHeight], [n.scrollWidth, 0]]) {
          n.scrollLeft = x; n.scrollTop = y;
          better(sample(el));
        }
        n.scrollLeft = x0; n.scrollTop = y0;
      }
    }
    return best;
  }

  // In a sentence or block of text: an inline box whose block holds other running text.
  function inline(el) {
    if (getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    if (!block) return false;
    let text = 0;
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) text += child.textContent.replace(/\s+/g, '').length;
        else if (child.nodeType === 1 && child !== el && !child.matches(CANDIDATES)
                 && getComputedStyle(child).display === 'inline') walk(child);
      }
    };
    walk(block);
    return text >= 10;
  }

  let frame = null;
  // Rendered the same as a copy of itself in a blank document, with no author styles: its size is
  // the user agent's.
  function uaSized(el) {
    const kind = el.localName;
    if (!UA_KINDS.has(kind) || (kind === 'input' && BUTTONISH.has(el.type))) return false;
    if (!frame) {
      frame = document.createElement('iframe');
      frame.style.cssText = 'position:absolute;left:-9999px;top:0;width:600px;height:200px;border:0';
      document.body.appendChild(frame);
      frame.contentDocument.open();
      frame.contentDocument.write('<!doctype html><html><body></body></html>');
      frame.contentDocument.close();
    }
    const fdoc = frame.contentDocument;
    const probe = fdoc.importNode(el, true);
    for (const attr of ['style', 'class', 'id', 'width', 'height', 'size']) probe.removeAttribute(attr);
    fdoc.body.replaceChildren(probe);
    return Math.abs(el.offsetWidth - probe.offsetWidth) < 0.5 && Math.abs(el.offsetHeight - probe.offsetHeight) < 0.5;
  }

  const hasBackground = (n) => getComputedStyle(n).backgroundImage.includes('url(');
  // A pin on a map or a point of a chart: the target carries no text of its own and sits on a graphic
  // (an image, a drawing, a background picture) at least four times its size each way.
  function essential(el) {
    if ((el.textContent || '').trim() || el.querySelector(GRAPHIC)) return false;
    const r = el.getBoundingClientRect();
    const big = (n) => { const g = n.getBoundingClientRect(); return g.width >= 4 * r.width && g.height >= 4 * r.height; };
    const svg = el.closest('svg');
    if (svg && svg !== el && big(svg)) return true;
    const cs = getComputedStyle(el);
    if (cs.position !== 'absolute' && cs.position !== 'fixed') return false;
    const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
    return document.elementsFromPoint(x, y).some((n) => n !== el && !el.contains(n) && n !== doc && n !== document.body
      && (n.matches(GRAPHIC) || hasBackground(n)) && big(n));
  }

  // The action a control performs: its destination, its form submission, or its inline handler.
  function action(el) {
    if (el.href && typeof el.href === 'string' && !el.getAttribute('href').startsWith('javascript:')) return 'href ' + el.href;
    if (el.form && /^(submit|image)$/.test(el.type || '') ) {
      return ['submit', Array.from(document.forms).indexOf(el.form), el.name || '', el.name ? el.value : '',
              el.getAttribute('formaction') || '', el.getAttribute('formmethod') || ''].join('|');
    }
    const handler = (el.getAttribute('onclick') || '').replace(/\s+/g, ' ').trim();
    return handler ? 'onclick ' + handler : '';
  }

  const start = [window.scrollX, window.scrollY];
  const targets = [];
  for (const el of document.querySelectorAll(CANDIDATES)) {
    if (unreachable(el)) continue;
    // A target inside another target is one target to the pointer: the outer one is measured.
    if (el.parentElement && el.parentElement.closest(OUTER)) continue;
    targets.push({el});
  }
  const passing = [];
  for (const t of targets) {
    const m = clickable(t.el);
    if (!m || m.width === 0 || m.height === 0) { t.skip = true; continue; }  // wholly covered: not a target
    Object.assign(t, m);
    t.ok = m.square >= minimum - 0.5;
    if (t.ok) passing.push(t.el);
  }
  const large = new Set(passing.map(action).filter(Boolean));
  const results = [];
  for (const t of targets) {
    if (t.skip || t.ok) continue;
    const el = t.el;
    let exception = '';
    if (inline(el)) exception = 'inline';
    else if (uaSized(el)) exception = 'user-agent';
    else if (action(el) && large.has(action(el))) exception = 'equivalent';
    else if (essential(el)) exception = 'essential';
    const cover = t.covers.find((c) => !part(el, c));
    results.push({selector: window.__cmSelector(el), width: Math.round(t.width * 10) / 10,
                  height: Math.round(t.height * 10) / 10, square: Math.round(t.square * 10) / 10,
                  covered: cover ? window.__cmSelector(cover) : '', exception, html: el.outerHTML.slice(0, 160)});
  }
  if (frame) frame.remove();
  for (const [n, [x, y]] of Array.from(scrolled.entries()).reverse()) { n.scrollLeft = x; n.scrollTop = y; }
  window.scrollTo(start[0], start[1]);
  return results;
}
