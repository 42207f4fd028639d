async ([failing, withMenus]) => {
  // One scan of the page as it is now (tests/a11y/axe.py): axe's own rules, none turned off, over the page as
  // loaded and over its closed disclosures once opened (menus, filters, data tables), plus two checks axe
  // leaves to review or does not make: one <h1>, and every id an ARIA attribute or a <label> names is there.
  const found = [];
  const keep = (result, state) => {
    for (const rule of result.violations) {
      for (const node of rule.nodes) {
        if (failing.includes(node.impact)) {
          found.push({
            rule: rule.id, impact: node.impact, target: state + node.target.join(" "), help: rule.help,
            summary: (node.failureSummary || "").split("\n").slice(0, 3).join(" "),
          });
        }
      }
    }
  };
  keep(await axe.run(document, {resultTypes: ["violations"]}), "");
  // The header's menus are the same on every page of one person: `withMenus` says whether to open them too.
  const closed = [...document.querySelectorAll("details:not([open])")]
    .filter((d) => withMenus || !d.closest("header.site-header"));
  if (closed.length) {
    closed.forEach((d) => { d.open = true; });
    // Menus fade in (Pico's opacity transition): end every transition now, or axe reads text still invisible.
    document.body.getBoundingClientRect();
    document.getAnimations().forEach((a) => a.finish());
    keep(await axe.run({include: closed}, {resultTypes: ["violations"]}), "(opened) ");
    closed.forEach((d) => { d.open = false; });
  }
  const h1s = document.querySelectorAll("h1").length;
  if (h1s !== 1) {
    found.push({rule: "one-h1", impact: "serious", target: "h1", help: "A page has one <h1>", summary: `${h1s} found`});
  }
  const names = ["aria-describedby", "aria-labelledby", "aria-controls", "for"];
  for (const el of document.querySelectorAll(names.map((n) => (n === "for" ? "label[for]" : `[${n}]`)).join(", "))) {
    for (const name of names) {
      for (const ref of (el.getAttribute(name) || "").split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(ref)) {
          found.push({
            rule: "dangling-reference", impact: "serious", target: el.id ? `#${el.id}` : el.tagName.toLowerCase(),
            help: `${name} names an id that is not in the page`, summary: ref,
          });
        }
      }
    }
  }
  return found;
}
