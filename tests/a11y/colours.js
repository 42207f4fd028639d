(what) => {
  // Colours as a keyboard user sees them (tests/a11y/test_focus.py). `ground` is the colour something is drawn
  // on: translucent backgrounds from `node` up are blended down to the white canvas.
  const rgba = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const ground = (node) => {
    const layers = [];
    for (; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let rgb = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
      rgb = [r * a + rgb[0] * (1 - a), g * a + rgb[1] * (1 - a), b * a + rgb[2] * (1 - a)];
    }
    return rgb;
  };
  const name = (el) => {
    const classes = el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : "";
    const text = (el.textContent || el.value || el.name || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return {element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes, text};
  };

  if (what === "edges") {
    // Each visible form field's edge (its bottom border: Pico draws all four alike) and the ground around it.
    const fields = document.querySelectorAll(
      "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=file]), select, textarea");
    return [...fields].filter((el) => el.getClientRects().length).map((el) => {
      const style = getComputedStyle(el);
      return {...name(el), width: parseFloat(style.borderBottomWidth), edge: rgba(style.borderBottomColor),
              background: ground(el.parentElement)};
    });
  }

  // The focused element's ring, drawn on the element's own background when it sits inside (a negative
  // offset), else on its parent's. Each element is marked when first seen, so a date field's parts (one
  // element, several Tab stops) count once and going round again is noticed.
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (el.dataset.a11yFocused) return {again: Number(el.dataset.a11yFocused)};
  el.dataset.a11yFocused = String(document.querySelectorAll("[data-a11y-focused]").length + 1);
  const style = getComputedStyle(el);
  return {
    ...name(el), keyboard: el.matches(":focus-visible"), style: style.outlineStyle,
    width: parseFloat(style.outlineWidth), ring: rgba(style.outlineColor),
    background: ground(parseFloat(style.outlineOffset) < 0 ? el : el.parentElement),
  };
}
