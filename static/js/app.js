// The little JavaScript the pages need; every page works without it.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
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

// forms with data-confirm="message" ask before they submit (destructive actions).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset && form.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Offline Activation and Validation: drop a request file on [data-dropzone-area] to pick it.
document.querySelectorAll("[data-dropzone-area]").forEach((zone) => {
  const input = zone.querySelector("input[type=file]");
  const name = zone.querySelector("[data-dropzone-name]");
  const show = () => { if (name) name.textContent = input.files.length ? `Selected: ${input.files[0].name}` : ""; };
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
