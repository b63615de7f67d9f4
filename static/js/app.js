// The little JavaScript the pages need; every page works without it. Its words come
// from the JavaScript catalog (/jsi18n/, locale/*/djangojs.po): gettext, ngettext and
// interpolate are defined by that script, which base.html loads before this one (both
// deferred, so they run in document order, the catalog first).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// [data-select-all-text] fields (a token shown once) select their whole text when clicked.
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-all-text]");
  if (field) field.select();
});

// <button data-dialog="ID"> opens <dialog id="ID">; [data-close] closes the dialog it sits in.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
    return;
  }
  const closer = event.target.closest("[data-close]");
  if (closer) {
    const dialog = closer.closest("dialog");
    if (dialog) { event.preventDefault(); dialog.close(); }
  }
});

// Offline Activation and Validation: drop a request file on [data-dropzone-area] to pick it.
document.querySelectorAll("[data-dropzone-area]").forEach((zone) => {
  const input = zone.querySelector("input[type=file]");
  const name = zone.querySelector("[data-dropzone-name]");
  const show = () => { if (name) name.textContent = input.files.length ? interpolate(gettext("Selected: %(name)s"), { name: input.files[0].name }, true) : ""; };
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault(); zone.classList.add("dropzone--over");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dropzone--over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; show(); }
  });
});

// proxies: row selection and the Actions menu. Deactivate opens the one confirmation
// ([data-dialog-load]) for the ticked servers; without JavaScript it is a page.
(() => {
  const actions = document.querySelector("[data-proxy-actions]");
  if (actions) {
    const rows = () => Array.from(document.querySelectorAll("[data-row-select]"));
    const selectAll = document.querySelector("[data-select-all]");
    const count = actions.querySelector("[data-selected-count]");
    const deactivate = actions.querySelector("[data-deactivate-open]");
    const blacklist = actions.querySelector("[data-blacklist-open]");
    const hint = actions.querySelector("[data-export-hint]");
    const hintAll = hint ? hint.textContent : "";
    const update = () => {
      const checked = rows().filter((box) => box.checked);
      const active = checked.filter((box) => !box.hasAttribute("data-deactivated"));
      if (count) count.textContent = checked.length ? interpolate(gettext("(%(count)s selected)"), { count: checked.length }, true) : "";
      if (deactivate) deactivate.disabled = active.length === 0;
      if (blacklist) blacklist.disabled = checked.length === 0;
      if (hint) hint.textContent = checked.length ? interpolate(ngettext("Exports the %(count)s selected server.", "Exports the %(count)s selected servers.", checked.length), { count: checked.length }, true) : hintAll;
      if (selectAll) {
        selectAll.checked = checked.length > 0 && checked.length === rows().length;
        selectAll.indeterminate = checked.length > 0 && checked.length < rows().length;
      }
    };
    document.addEventListener("change", (event) => {
      if (event.target === selectAll) rows().forEach((box) => { box.checked = selectAll.checked; });
      if (event.target === selectAll || event.target.matches("[data-row-select]")) update();
    });
    update();
  }

  // One toolbar menu open at a time; a click elsewhere or Escape closes it.
  const menus = Array.from(document.querySelectorAll(".proxy-toolbar details.menu"));
  menus.forEach((menu) => menu.addEventListener("toggle", () => {
    if (menu.open) menus.forEach((other) => { if (other !== menu) other.open = false; });
  }));
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") menus.forEach((menu) => { menu.open = false; });
  });
})();

// subscriptions: Create License Key / modify a sublicense ([data-sublicense] forms).
// The label's "k out of n available" follows what is typed (k) and the type picked (n,
// also the input's max); Expiration Date is disabled while Renew with Subscription is
// ticked. The server renders the same first values and checks everything again.
const sublicenseSync = (form) => {
  const quota = form.querySelector("input[name=quota]");
  const type = form.querySelector("select[name=type]");
  const renew = form.querySelector("input[name=renew_with_subscription]");
  const expires = form.querySelector("input[name=expires_on]");
  if (quota) {
    const n = (type && type.value === "dynamic" ? quota.dataset.quotaDynamic : quota.dataset.quotaReserved) || quota.max;
    // k never exceeds n: the label must not say more is available than there is.
    const k = Math.min(/^\d+$/.test(quota.value) ? Number(quota.value) : 0, Number(n));
    quota.max = Math.max(Number(n), 1);
    const label = form.querySelector(`label[for="${quota.id}"]`);
    if (label) label.textContent = interpolate(gettext("Quota of Licenses (%(used)s out of %(total)s available)"), { used: k, total: n }, true);
  }
  if (renew && expires) expires.disabled = renew.checked;
};
document.querySelectorAll("form[data-sublicense]").forEach(sublicenseSync);
["input", "change"].forEach((type) => document.addEventListener(type, (event) => {
  const form = event.target.closest && event.target.closest("form[data-sublicense]");
  if (form) sublicenseSync(form);
}));

// [data-dialog-load="ID"]: show the linked page's [data-dialog-content] in <dialog id="ID">
// (the gear of a License Keys row, a proxy server's details, and every destructive
// action's confirmation in #confirm-dialog). The opener is a link, or a submit button of
// a GET form (its formaction with the form's fields: the ticked proxy servers). If
// anything fails, the link or the form does what it does without JavaScript.
const dialogSource = (opener) => {
  if (opener.href) return opener.href;
  // Attributes, not the formAction property: without a formaction it is the page's own URL.
  const url = new URL(opener.getAttribute("formaction") || opener.form.getAttribute("action") || "", window.location.href);
  url.search = new URLSearchParams(new FormData(opener.form, opener)).toString();
  return url.href;
};
document.addEventListener("click", async (event) => {
  const opener = event.target.closest("[data-dialog-load]");
  const dialog = opener && document.getElementById(opener.dataset.dialogLoad);
  if (!dialog || !dialog.showModal || !window.fetch) return;
  event.preventDefault();
  const source = dialogSource(opener);
  opener.closest("details.menu")?.removeAttribute("open");
  try {
    const response = await fetch(source, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const content = response.ok && page.querySelector("[data-dialog-content]");
    if (!content) throw new Error("no dialog content");
    const heading = content.querySelector("h1");
    if (heading) heading.outerHTML = `<h2 id="${heading.id}">${heading.innerHTML}</h2>`;
    dialog.replaceChildren(...content.childNodes);
    dialog.removeAttribute("aria-label");
    if (heading) dialog.setAttribute("aria-labelledby", heading.id);
    dialog.querySelectorAll("form[data-sublicense]").forEach(sublicenseSync);
    if (!dialog.open) dialog.showModal();
  } catch (error) {
    if (opener.href) window.location.href = opener.href;
    else opener.form.requestSubmit(opener);
  }
});

// [role=tab][data-tab] links switch their tab panels in place, on a page or in a dialog
// filled later (delegated); without JavaScript each link opens the page on its tab.
// On the details page the address follows the tab; in a dialog it stays the list's.
const tabSelect = (tab) => {
  const list = tab.closest("[role=tablist]");
  if (!list) return;
  list.querySelectorAll("[role=tab][data-tab]").forEach((other) => {
    const selected = other === tab;
    other.setAttribute("aria-selected", selected ? "true" : "false");
    const panel = document.getElementById(other.getAttribute("aria-controls"));
    if (panel) panel.hidden = !selected;
  });
  if (!tab.closest("dialog")) history.replaceState(null, "", tab.href);
};
document.addEventListener("click", (event) => {
  const tab = event.target.closest("[role=tab][data-tab]");
  if (tab) { event.preventDefault(); tabSelect(tab); }
});
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest && event.target.closest("[role=tab][data-tab]");
  if (!tab || !["ArrowLeft", "ArrowRight"].includes(event.key)) return;
  const tabs = Array.from(tab.closest("[role=tablist]").querySelectorAll("[role=tab][data-tab]"));
  const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  event.preventDefault();
  tabSelect(next);
  next.focus();
});

// Invite Users ([data-invite-form], on its page or in the Users list's dialog): Add (or
// Enter in the e-mail field) checks the address at once and moves it to the list; a
// wrong one stays in the field with the reason. Without JavaScript, Add asks the server,
// which checks every address again on Send either way.
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-invite-add]");
  if (!add || !add.form) return;
  const form = add.form;
  const input = form.querySelector("input[name=email]");
  const list = form.querySelector("textarea[name=emails]");
  const error = form.querySelector("[data-invite-error]");
  if (!input || !list || !error) return;
  event.preventDefault();
  const value = input.value.trim().toLowerCase();
  const valid = value !== "" && input.checkValidity() && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value);
  if (!valid) {
    error.textContent = value ? interpolate(gettext("Not an email address: %(value)s"), { value: value }, true) : gettext("Type an email address first.");
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  error.hidden = true;
  input.removeAttribute("aria-invalid");
  const dialog = form.closest("dialog");
  if (!dialog || !window.fetch) { form.requestSubmit(add); return; }
  // In the dialog: the server reviews the list (already a member, already invited) and
  // the dialog shows its answer in place.
  // getAttribute: the form.action property is clobbered by the buttons named "action".
  fetch(form.getAttribute("action"), { method: "POST", body: new FormData(form, add), credentials: "same-origin" })
    .then((response) => response.text())
    .then((html) => {
      const content = new DOMParser().parseFromString(html, "text/html").querySelector("[data-dialog-content]");
      if (!content) throw new Error("no dialog content");
      const heading = content.querySelector("h1");
      if (heading) heading.outerHTML = `<h2 id="${heading.id}">${heading.innerHTML}</h2>`;
      dialog.replaceChildren(...content.childNodes);
      const next = dialog.querySelector("input[name=email]");
      if (next) next.focus();
    })
    .catch(() => form.requestSubmit(add));
});
// Enter in Invite Users' e-mail field adds the address, as Add does.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !event.target.matches || !event.target.matches("[data-invite-form] input[name=email]")) return;
  const add = event.target.form.querySelector("[data-invite-add]");
  if (add) { event.preventDefault(); add.click(); }
});
