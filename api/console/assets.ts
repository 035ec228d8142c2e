// The console's style sheet and its one small script, as modules so that the production build
// (tsc into dist/) ships them; htmx itself is served from node_modules (npm package htmx.org).

/** Phone first: one column, no horizontal scroll (wide tables scroll inside their own box), big
 * touch targets, a visible focus ring for the keyboard. */
export const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7;overflow-wrap:anywhere}
a{color:#1450b8}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem;z-index:10}
header{background:#1d2330;color:#fff;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}
header a,header button{color:#fff}
header nav{display:flex;flex-wrap:wrap;gap:.25rem .75rem;flex:1 1 auto}
header nav a{padding:.35rem .2rem;text-decoration:none;border-bottom:2px solid transparent}
header nav a[aria-current=page]{border-bottom-color:#f0a500}
header .who{font-size:.85rem;opacity:.85}
header form{margin:0}
header button{background:none;border:1px solid #fff6;border-radius:4px;padding:.3rem .6rem;font:inherit;cursor:pointer}
main{max-width:60rem;margin:0 auto;padding:.75rem}
h1{font-size:1.35rem;margin:.5rem 0 .75rem}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
h3{font-size:1rem;margin:0 0 .5rem}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.75rem}
.card .meta{font-size:.85rem;color:#555d6b}
.badge{display:inline-block;font-size:.75rem;padding:.05rem .45rem;border-radius:999px;background:#e6e9ef;color:#1d2330}
.badge.overdue,.badge.stale{background:#fde2e1;color:#9b1c1c}
.badge.due{background:#e3f1e6;color:#1e5b2c}
.clock.overdue{color:#9b1c1c;font-weight:600}
.alert{padding:.6rem .75rem;border-radius:6px;margin:.5rem 0;background:#fde2e1;color:#7a1616;border:1px solid #f3b4b1}
.ok{padding:.6rem .75rem;border-radius:6px;margin:.5rem 0;background:#e3f1e6;color:#1e5b2c;border:1px solid #b5dcbf}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .75rem;margin:0}
dl.facts dt{color:#555d6b}
dl.facts dd{margin:0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e6e9ef;vertical-align:top}
form.action{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.75rem;margin:0 0 .75rem}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{font-weight:600;margin-bottom:.4rem;padding:0}
label{display:block;font-size:.9rem;margin:.4rem 0 .15rem}
input,select,textarea{font:inherit;width:100%;max-width:32rem;padding:.45rem .5rem;border:1px solid #b9c0cc;border-radius:6px;background:#fff}
textarea{min-height:5rem}
button,.button{font:inherit;display:inline-block;min-height:44px;padding:.5rem 1rem;margin-top:.6rem;border-radius:6px;border:1px solid #1450b8;background:#1450b8;color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:#1450b8}
.inline{display:inline}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.field-error{color:#9b1c1c;font-size:.85rem}
.chart svg{width:100%;height:auto;max-width:44rem;background:#fff;border:1px solid #dde1e8;border-radius:8px}
.muted{color:#555d6b}
`;

/** Progressive enhancement only: everything works without it. A CSV file picked for upload is
 * read into the text box, so the form stays a plain urlencoded POST. */
export const JS = `
document.addEventListener('change', function (e) {
  var input = e.target;
  if (!input || !input.matches || !input.matches('input[type=file][data-into]')) return;
  var target = document.getElementById(input.getAttribute('data-into'));
  var file = input.files && input.files[0];
  if (!target || !file) return;
  file.text().then(function (text) { target.value = text; });
});
`;
