// Times GOV.UK's paste-html-to-govspeak (turndown, in Node with @mixmark-io/domino) over the
// benchmark corpus, pages decoded in memory first. Prints `tool pages seconds`; writes each
// page's Govspeak to OUT_DIR/<n>.md (n = the page's line in truth.jsonl).
//
//   NODE_PATH=bench/.peers/node/node_modules node paste_govspeak.js SITE_DIR OUT_DIR
const fs = require('fs');
const path = require('path');
const { htmlToGovspeak } = require('paste-html-to-govspeak');

const [site, out] = process.argv.slice(2);
const decoder = new TextDecoder('windows-1252');
const pages = fs.readFileSync(path.join(site, 'truth.jsonl'), 'utf8').trim().split('\n').map((line) => {
  const p = JSON.parse(line).path;
  const file = p === '/' ? path.join(site, 'www/index.htm') : path.join(site, 'www', p.slice(1));
  return decoder.decode(fs.readFileSync(file));
});
const outputs = [];
const started = process.hrtime.bigint();
for (const html of pages) outputs.push(htmlToGovspeak(html));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`paste-html-to-govspeak ${pages.length} ${seconds.toFixed(3)}`);
fs.mkdirSync(out, { recursive: true });
outputs.forEach((md, n) => fs.writeFileSync(path.join(out, `${n}.md`), md));
