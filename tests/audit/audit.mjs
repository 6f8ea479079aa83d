// Runs every graphql-http server audit (MUST, SHOULD and MAY) against the URL given as the
// first argument and prints one JSON line: [{id, name, status, reason}], status being
// "ok", "warn" (a SHOULD not met) or "error" (a MUST not met).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status,
                 reason: result.status === 'ok' ? null : result.reason });
}
console.log(JSON.stringify(results));
