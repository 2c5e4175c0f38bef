// Small progressive enhancements for the admin and account pages (no inline JS):
// confirmation before destructive forms, copy buttons, colour swatches.

for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  button.addEventListener('click', async () => {
    const field = document.getElementById(button.dataset.copy);
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand('copy');
    }
  });
}

for (const swatch of document.querySelectorAll('.swatch[data-colour]')) {
  swatch.style.background = swatch.dataset.colour;
}

const summary = document.getElementById('error-summary');
if (summary) summary.focus();
