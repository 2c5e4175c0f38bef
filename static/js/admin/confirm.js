// Small progressive enhancements for the admin and account pages (no inline JS):
// confirmation before destructive forms, copy buttons, colour swatches.

for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// The clipboard API where the page may use it; else the selected text is copied the old way.
async function copy(field) {
  field.select();
  if (navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(field.value);
      return;
    } catch (error) {
      if (error.name !== 'NotAllowedError') throw error;
    }
  }
  document.execCommand('copy');
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  button.addEventListener('click', () => copy(document.getElementById(button.dataset.copy)));
}

for (const swatch of document.querySelectorAll('.swatch[data-colour]')) {
  swatch.style.background = swatch.dataset.colour;
}

const summary = document.getElementById('error-summary');
if (summary) summary.focus();
