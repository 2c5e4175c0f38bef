// "Last time" on the session start page: the previous campaign's places, one big card at
// a time. Previous / Next, a tap on the card (forward) and the arrow keys (when the
// slideshow has focus) move on, round from the last to the first; the live region tells
// a screen reader the card now shown. The cards are the page's own HTML.
const section = document.getElementById('last-time');

function setUp(root) {
  const slides = [...root.querySelectorAll('.last-time-slide')];
  let shown = 0;

  function show(index) {
    shown = (index + slides.length) % slides.length;
    slides.forEach((slide, n) => {
      slide.classList.toggle('current', n === shown);
      slide.setAttribute('aria-hidden', n === shown ? 'false' : 'true');
    });
    root.dataset.slide = String(shown);
  }

  root.querySelector('.last-time-actions').hidden = false;
  root.classList.add('playing');
  document.getElementById('last-time-previous').addEventListener('click', () => show(shown - 1));
  document.getElementById('last-time-next').addEventListener('click', () => show(shown + 1));
  for (const slide of slides) slide.addEventListener('click', () => show(shown + 1));
  root.addEventListener('keydown', (event) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    show(shown + step);
  });
  show(0);
  root.dataset.ready = 'yes';
}

if (section) setUp(section);
