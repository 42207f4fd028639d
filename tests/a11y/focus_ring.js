() => {
  // The focused element's ring and the colour it is drawn on (tests/a11y/test_focus.py): the element's own
  // background for a ring inside it (a negative offset), else its parent's; translucent layers are blended
  // down to the white canvas. Each element is marked when first seen, so a date field's parts (one element,
  // several Tab stops) count once and going round again is noticed.
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (el.dataset.a11yFocused) return {again: Number(el.dataset.a11yFocused)};
  el.dataset.a11yFocused = String(document.querySelectorAll("[data-a11y-focused]").length + 1);
  const style = getComputedStyle(el);
  const rgba = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const layers = [];
  for (let node = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] >= 1) break;
  }
  let ground = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) {
    ground = [r * a + ground[0] * (1 - a), g * a + ground[1] * (1 - a), b * a + ground[2] * (1 - a)];
  }
  const classes = el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : "";
  return {
    element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes,
    text: (el.textContent || el.value || el.name || "").trim().replace(/\s+/g, " ").slice(0, 40),
    keyboard: el.matches(":focus-visible"),
    style: style.outlineStyle, width: parseFloat(style.outlineWidth), ring: rgba(style.outlineColor), background: ground,
  };
}
