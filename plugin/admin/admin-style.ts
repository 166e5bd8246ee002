/** The admin screen's few style rules, inlined in every page (no front-end build step, no external file). */
import { trustedHtml, type SafeHtml } from '../../lib/html';

const CSS = `
.o2m .badge{display:inline-block;padding:.1rem .5rem;border-radius:1rem;font-size:.85em;font-weight:600;
  white-space:nowrap}
.o2m .badge.ok{background:#dff3e4;color:#11632b}
.o2m .badge.warn{background:#fff2cc;color:#7a5300}
.o2m .badge.error{background:#fde2df;color:#9b1c10}
.o2m .badge.muted{background:#e8eaed;color:#4a5361}
.o2m .notice{padding:.6rem 1rem;border-radius:4px;margin:.6rem 0;border:1px solid #9cc0e6;background:#e8f1fb}
.o2m .notice.error{border-color:#e0a8a2;background:#fdecea}
.o2m .notice.ok{border-color:#9dd3ac;background:#e9f7ed}
.o2m form.inline{display:inline-block;margin:0 .3rem .3rem 0}
.o2m button,.o2m a.button{font:inherit;font-size:.9rem;line-height:1.3;padding:.3rem .8rem;border:1px solid #8b95a5;
  border-radius:4px;background:#fff;cursor:pointer}
.o2m button.primary,.o2m a.button.primary{background:#1f5fbf;border-color:#1f5fbf;color:#fff}
.o2m button.danger{border-color:#b3261e;color:#b3261e}
.o2m a.button{display:inline-block;text-decoration:none;color:inherit;vertical-align:top}
.o2m .field{margin:.6rem 0;max-width:40rem}
.o2m .field label{display:block;font-weight:600;margin-bottom:.2rem}
.o2m .field.check label{font-weight:normal}
.o2m .field input[type=text],.o2m .field input[type=email],.o2m .field input[type=url],
.o2m .field input[type=number],.o2m .field input[type=password],.o2m .field input[type=date],
.o2m .field select,.o2m .field textarea{padding:.35rem;width:100%;box-sizing:border-box}
.o2m .field textarea{font-family:ui-monospace,monospace;font-size:.85em}
.o2m .choice a{margin-right:.4rem}
.o2m .choice strong{margin-right:.4rem}
.o2m pre.commands{background:#f3f4f6;border:1px solid #c8ced6;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
.o2m .user-code{font-size:1.6em;letter-spacing:.1em}
.o2m .field .hint{display:block;color:#687385;margin-top:.15rem}
.o2m .field.invalid input,.o2m .field.invalid select,.o2m .field.invalid textarea{border:2px solid #b3261e}
.o2m .field-error{color:#b3261e;margin:.2rem 0 0;font-weight:600}
.o2m fieldset{border:1px solid #dde1e6;border-radius:4px;margin:.8rem 0;padding:.4rem 1rem;background:#fff;
  max-width:42rem}
.o2m details{margin:.6rem 0}
.o2m summary{cursor:pointer;font-weight:600}
.o2m .copy{font-family:ui-monospace,monospace;width:100%;box-sizing:border-box;padding:.35rem;background:#f3f4f6;
  border:1px solid #c8ced6}
.o2m .box{background:#fff;border:1px solid #dde1e6;border-radius:4px;padding:.6rem 1rem;margin:.8rem 0;max-width:60rem}
.o2m dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
.o2m dl.facts dt{font-weight:600}
.o2m dl.facts dd{margin:0}
.o2m .steps li{margin:.3rem 0}
.o2m .step-ok{color:#11632b}
.o2m .step-failed{color:#9b1c10}
.o2m .step-skipped{color:#687385}
.o2m .muted{color:#687385}
.o2m .fix{color:#1d2430}
.o2m table.events td{font-size:.92em}
.o2m .actions{margin:.6rem 0}
.o2m .req{color:#b3261e}
.o2m details.inline-confirm{display:inline-block;vertical-align:top;margin:0 .3rem .3rem 0}
.o2m details.inline-confirm[open]{display:block;border:1px solid #e0a8a2;border-radius:4px;padding:.4rem .8rem}
.o2m details.inline-confirm summary{list-style:none;font-weight:normal;font-size:.9rem;color:#b3261e;
  border:1px solid #b3261e;border-radius:4px;padding:.3rem .8rem;background:#fff;display:inline-block}
.o2m .register-first{border-color:#9cc0e6;background:#f3f8fd}
.o2m .register-first .copy{white-space:pre-wrap;overflow-wrap:anywhere}
.o2m .history-pages{margin:.4rem 0}
.o2m .history-pages a{margin-right:1rem}
`;

/** The `<style>` element of the admin screen. */
export function adminStyle(): SafeHtml {
  return trustedHtml(`<style>${CSS}</style>`);
}
